// The Java half of sparse's fast-wire test (sparse/tests/integration/storm_fastwire.rs):
// Storm's JsonSerializer and sparse's SparseSerializer must agree, message for message.
//
//   java FastWireCheck read JSON_FILE BIN_FILE N   component messages written by Rust, both
//       wires: decodes each with both serializers and prints "OK <java classes>" or
//       "DIFF <field> json=<..> fast=<..>"; then, if more binary bytes follow, "ERR <message>".
//   java FastWireCheck write JSON_FILE BIN_FILE      Storm messages (bolt tuples with tricky
//       values, spout commands, task ids) written by both serializers, for Rust to compare;
//       the bolt tuples go through the serializer's buffered path (one flush at the end).
import java.io.*;
import java.math.BigInteger;
import java.util.*;

import org.apache.storm.multilang.*;
import org.sparse.storm.SparseSerializer;

public class FastWireCheck {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("read")) {
            read(args[1], args[2], Integer.parseInt(args[3]));
        } else {
            write(args[1], args[2]);
        }
    }

    static String classes(Object v) {
        if (v == null) return "null";
        if (v instanceof List) {
            StringBuilder b = new StringBuilder("[");
            for (Object o : (List<?>) v) {
                if (b.length() > 1) b.append(',');
                b.append(classes(o));
            }
            return b.append(']').toString();
        }
        if (v instanceof Map) {
            StringBuilder b = new StringBuilder("{");
            for (Map.Entry<?, ?> e : new TreeMap<Object, Object>((Map<?, ?>) v).entrySet()) {
                if (b.length() > 1) b.append(',');
                b.append(e.getKey()).append(':').append(classes(e.getValue()));
            }
            return b.append('}').toString();
        }
        return v.getClass().getSimpleName() + ":" + v;
    }

    static void cmp(List<String> diffs, String field, Object a, Object b) {
        if (!Objects.equals(a, b)) diffs.add(field + " json=" + a + " fast=" + b);
    }

    static void read(String jsonFile, String binFile, int n) throws Exception {
        JsonSerializer js = new JsonSerializer();
        js.initialize(OutputStream.nullOutputStream(), new FileInputStream(jsonFile));
        SparseSerializer ss = new SparseSerializer();
        ss.initialize(OutputStream.nullOutputStream(), new FileInputStream(binFile));
        ss.startFastWire();
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        for (int i = 0; i < n; i++) {
            ShellMsg a = js.readShellMsg();
            ShellMsg b = ss.readShellMsg();
            List<String> d = new ArrayList<>();
            cmp(d, "command", a.getCommand(), b.getCommand());
            cmp(d, "id", a.getId(), b.getId());
            cmp(d, "id classes", classes(a.getId()), classes(b.getId()));
            cmp(d, "anchors", a.getAnchors(), b.getAnchors());
            cmp(d, "stream", a.getStream(), b.getStream());
            cmp(d, "task", a.getTask(), b.getTask());
            cmp(d, "need_task_ids", a.areTaskIdsNeeded(), b.areTaskIdsNeeded());
            cmp(d, "msg", a.getMsg(), b.getMsg());
            cmp(d, "metric name", a.getMetricName(), b.getMetricName());
            cmp(d, "metric params", a.getMetricParams(), b.getMetricParams());
            cmp(d, "log level", a.getLogLevel(), b.getLogLevel());
            cmp(d, "tuple", a.getTuple(), b.getTuple());
            cmp(d, "tuple classes", classes(a.getTuple()), classes(b.getTuple()));
            if (a.getTuple() != null && b.getTuple() != null) {
                cmp(d, "tuple hash", Arrays.deepHashCode(a.getTuple().toArray()),
                    Arrays.deepHashCode(b.getTuple().toArray()));
            }
            out.println(d.isEmpty() ? "OK " + b.getCommand() + " " + classes(b.getTuple())
                + " id=" + classes(b.getId()) : "DIFF " + String.join("; ", d));
        }
        while (true) {
            try {
                ss.readShellMsg();
                out.println("NOERR");
            } catch (NoOutputException e) {
                break;
            } catch (IOException e) {
                out.println("ERR " + e.getMessage());
                if (e.getMessage().contains("message length")) {
                    break; // the framing is lost: the rest is not worth reading
                }
            }
        }
    }

    static List<BoltMsg> boltMsgs() {
        List<BoltMsg> l = new ArrayList<>();
        Map<String, Object> m = new HashMap<>();
        m.put("k", Arrays.asList(1, 2L, "x"));
        m.put("é/\"", null);
        Object[][] tuples = {
            {"snow", 7, -1, 9007199254740993L, Long.MIN_VALUE, 1.5, -0.0, 1e300, Double.NaN,
                true, false, null},
            {"line\u2028sep \ud83d\ude00 tab\t quote\" slash/ back\\ \u0001", "", "日本語"},
            {Arrays.asList(Arrays.asList(1, "a"), new ArrayList<>()), m,
                new BigInteger("1180591620717411303424"), (short) 3, 2.5f, 0.1f},
            {},
        };
        for (int i = 0; i < tuples.length; i++) {
            BoltMsg b = new BoltMsg();
            b.setId(i == 1 ? "-6955786537413359385" : String.valueOf(i));
            b.setComp(i == 3 ? null : "spout");
            b.setStream(i == 3 ? "__heartbeat" : "default");
            b.setTask(i == 3 ? -1 : 4);
            b.setTuple(new ArrayList<>(Arrays.asList(tuples[i])));
            l.add(b);
        }
        return l;
    }

    static List<SpoutMsg> spoutMsgs() {
        List<SpoutMsg> l = new ArrayList<>();
        Map<String, Object> id = new HashMap<>();
        id.put("seq", 12345678901L);
        id.put("s", "x");
        Object[][] cmds = {{"next", ""}, {"ack", id}, {"fail", 17}, {"ack", "abc"}};
        for (Object[] c : cmds) {
            SpoutMsg s = new SpoutMsg();
            s.setCommand((String) c[0]);
            s.setId(c[1]);
            l.add(s);
        }
        return l;
    }

    static void write(String jsonFile, String binFile) throws Exception {
        JsonSerializer js = new JsonSerializer();
        SparseSerializer ss = new SparseSerializer();
        try (OutputStream jo = new FileOutputStream(jsonFile);
                OutputStream bo = new FileOutputStream(binFile)) {
            js.initialize(jo, InputStream.nullInputStream());
            ss.initialize(bo, InputStream.nullInputStream());
            ss.startFastWire();
            // As sparse's shell bolt writes: unflushed, then one flush for all of them.
            for (BoltMsg b : boltMsgs()) {
                js.writeBoltMsg(b);
                ss.writeBoltMsg(b, false);
            }
            ss.flush();
            for (SpoutMsg s : spoutMsgs()) {
                js.writeSpoutMsg(s);
                ss.writeSpoutMsg(s);
            }
            js.writeTaskIds(Arrays.asList(3, 9, 2147483647));
            ss.writeTaskIds(Arrays.asList(3, 9, 2147483647));
        }
    }
}
