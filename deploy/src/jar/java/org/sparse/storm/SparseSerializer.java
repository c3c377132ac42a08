/*
 * sparse's multi-lang serializer for Apache Storm: the "fast wire".
 *
 * Storm's ShellBolt/ShellSpout load it by name from `topology.multilang.serializer`
 * (`sparse jar` compiles this file into the topology jar and sets that key). It starts every
 * task on Storm's usual JSON handshake with one extra field, "sparseWire":"sparse-bin-1".
 * A component that answers {"pid":N,"sparseWire":"sparse-bin-1"} (sparse-host) gets the
 * binary framing of sparse_protocol::fastwire from then on, both ways; any other component
 * (storm.py, pystorm, an older sparse-host) ignores the field, answers {"pid":N} and stays on
 * JSON: this class then hands every call to Storm's own JsonSerializer. The conf key
 * `sparse.wire` = "json" makes it not offer at all.
 *
 * Binary framing: a big-endian u32 length, then the body; see protocol/src/fastwire/mod.rs for
 * the table. Values are written straight from the tuple's objects into one reused byte
 * array, and read back into the classes Storm's JSON parser would give (Integer for
 * integers that fit 32 bits, Long, Double, String, Boolean, null, ArrayList, HashMap,
 * BigInteger), so groupings hash as they do on the JSON path.
 */
package org.sparse.storm;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.storm.multilang.BoltMsg;
import org.apache.storm.multilang.ISerializer;
import org.apache.storm.multilang.JsonSerializer;
import org.apache.storm.multilang.NoOutputException;
import org.apache.storm.multilang.ShellMsg;
import org.apache.storm.multilang.SpoutMsg;
import org.apache.storm.shade.net.minidev.json.JSONObject;
import org.apache.storm.shade.net.minidev.json.JSONValue;
import org.apache.storm.task.TopologyContext;

public class SparseSerializer implements ISerializer {
    private static final long serialVersionUID = 1L;

    /** The handshake field that offers the fast wire, and the pid reply's that accepts it. */
    public static final String OFFER_KEY = "sparseWire";
    /** This version of the fast wire. */
    public static final String WIRE_NAME = "sparse-bin-1";
    /** Conf key: "json" keeps every component of the topology on JSON. */
    public static final String WIRE_CONF = "sparse.wire";
    /** The largest message accepted from a component. */
    static final int MAX_FRAME = 256 * 1024 * 1024;
    /** Buffered messages are written out once they reach this many bytes. */
    static final int FLUSH_AT = 32 * 1024;

    static final byte T_NULL = 0x00, T_FALSE = 0x01, T_TRUE = 0x02, T_I32 = 0x03, T_I64 = 0x04,
        T_F64 = 0x05, T_STR = 0x06, T_BIGNUM = 0x07, T_LIST = 0x08, T_MAP = 0x09;
    static final byte M_TUPLE = 0x10, M_SPOUT = 0x11, M_TASK_IDS = 0x12, M_EMIT = 0x20,
        M_ACK = 0x21, M_FAIL = 0x22, M_LOG = 0x23, M_ERROR = 0x24, M_METRICS = 0x25,
        M_SYNC = 0x26;
    static final int F_STREAM = 1, F_NEED_IDS = 2, F_TASK = 4, F_ID = 8;

    private transient OutputStream out;
    private transient InputStream in;
    /** Set when the component stayed on JSON: every call goes to it. */
    private transient JsonSerializer json;
    /** Output buffer (writer thread): messages not yet written, the last one from frameStart. */
    private transient byte[] wbuf;
    private transient int wpos;
    private transient int frameStart;
    /** Input buffer (reader thread). */
    private transient byte[] rbuf;
    private transient int rpos;
    private transient int rlen;

    @Override
    public void initialize(OutputStream processIn, InputStream processOut) {
        this.out = processIn;
        this.in = new BufferedInputStream(processOut, 64 * 1024);
        this.wbuf = new byte[64 * 1024];
        this.rbuf = new byte[64 * 1024];
    }

    @Override
    public Number connect(Map<String, Object> conf, TopologyContext context)
            throws IOException, NoOutputException {
        boolean offer = !"json".equals(String.valueOf(conf.get(WIRE_CONF)));
        JSONObject setup = new JSONObject();
        setup.put("pidDir", context.getPIDDir());
        setup.put("conf", conf);
        setup.put("context", context);
        if (offer) {
            setup.put(OFFER_KEY, WIRE_NAME);
        }
        writeJson(JSONValue.toJSONString(setup));
        String reply = readJsonFrame();
        Object parsed;
        try {
            parsed = JSONValue.parseWithException(reply);
        } catch (Exception e) {
            throw new IOException("the component's pid reply is not JSON: " + excerpt(reply), e);
        }
        if (!(parsed instanceof Map)) {
            throw new IOException("the component's first message must be {\"pid\": N}, got "
                + excerpt(reply));
        }
        Map<?, ?> m = (Map<?, ?>) parsed;
        Object pid = m.get("pid");
        if (!(pid instanceof Number)) {
            throw new IOException("the component's first message must be {\"pid\": N}, got "
                + excerpt(reply));
        }
        if (!(offer && WIRE_NAME.equals(m.get(OFFER_KEY)))) {
            // Same streams: whatever the component wrote after its reply is still buffered.
            json = new JsonSerializer();
            json.initialize(out, in);
        }
        return (Number) pid;
    }

    /** True when this task speaks the fast wire (after connect). */
    public boolean isFast() {
        return json == null && out != null;
    }

    private void writeJson(String text) throws IOException {
        out.write((text + "\nend\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** One JSON message: lines up to a line that is exactly "end", read a byte at a time. */
    private String readJsonFrame() throws IOException, NoOutputException {
        ByteArrayOutputStream msg = new ByteArrayOutputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new NoOutputException("Pipe to subprocess seems to be broken! "
                    + "No pid reply read (got " + excerpt(msg.toString("UTF-8")
                    + line.toString("UTF-8")) + ")");
            }
            if (b != '\n') {
                line.write(b);
                continue;
            }
            String l = line.toString("UTF-8");
            line.reset();
            if (l.equals("end") || l.equals("end\r")) {
                return msg.toString("UTF-8");
            }
            msg.write(l.getBytes(StandardCharsets.UTF_8));
            msg.write('\n');
        }
    }

    private static String excerpt(String s) {
        return s.length() > 200 ? "\"" + s.substring(0, 200) + "...\"" : "\"" + s + "\"";
    }

    /** Switches to the fast wire without a handshake (tests and tools). */
    public void startFastWire() {
        json = null;
    }

    /** Switches to JSON without a handshake (tests and tools). */
    public void startJsonWire() {
        json = new JsonSerializer();
        json.initialize(out, in);
    }

    // ---------------------------------------------------------------------------------
    // Storm -> component

    @Override
    public void writeBoltMsg(BoltMsg msg) throws IOException {
        writeBoltMsg(msg, true);
    }

    /**
     * Writes a tuple; with `flush` false it may stay in this serializer's buffer until the
     * next flushed message or {@link #flush()} (sparse's shell bolt flushes when its queue is
     * empty). On JSON every message is flushed.
     */
    public void writeBoltMsg(BoltMsg msg, boolean flush) throws IOException {
        if (json != null) {
            json.writeBoltMsg(msg);
            return;
        }
        synchronized (this) {
            begin(M_TUPLE);
            putStr(msg.getId() == null ? "" : msg.getId());
            String comp = msg.getComp();
            if (comp == null) {
                putByte(T_NULL);
            } else {
                putByte(T_STR);
                putStr(comp);
            }
            putStr(msg.getStream());
            putLong(msg.getTask());
            List<Object> tuple = msg.getTuple();
            if (tuple == null) {
                putInt(0);
            } else {
                putInt(tuple.size());
                for (Object v : tuple) {
                    putValue(v, 0);
                }
            }
            end(flush);
        }
    }

    /** Sends whatever {@link #writeBoltMsg(BoltMsg, boolean)} left in the buffer. */
    public void flush() throws IOException {
        if (json != null) {
            return;
        }
        synchronized (this) {
            writeOut(true);
        }
    }

    @Override
    public void writeSpoutMsg(SpoutMsg msg) throws IOException {
        writeSpoutMsg(msg, true);
    }

    /** Writes a spout command; with `flush` false as {@link #writeBoltMsg(BoltMsg, boolean)}. */
    public void writeSpoutMsg(SpoutMsg msg, boolean flush) throws IOException {
        if (json != null) {
            json.writeSpoutMsg(msg);
            return;
        }
        synchronized (this) {
            begin(M_SPOUT);
            putStr(msg.getCommand());
            putValue(msg.getId(), 0);
            end(flush);
        }
    }

    /**
     * True when a fast-wire message (or part of one) from the component is waiting to be
     * read, so that {@link #readShellMsg()} will not wait for the component to write. Always
     * false on JSON (Storm's serializer reads ahead into a buffer of its own).
     */
    public boolean inputReady() throws IOException {
        return json == null && in.available() > 0;
    }

    @Override
    public void writeTaskIds(List<Integer> taskIds) throws IOException {
        if (json != null) {
            json.writeTaskIds(taskIds);
            return;
        }
        synchronized (this) {
            begin(M_TASK_IDS);
            putInt(taskIds.size());
            for (Integer t : taskIds) {
                putInt(t);
            }
            end(true);
        }
    }

    /** Starts a message after those still buffered: room for its length, then its kind. */
    private void begin(byte kind) {
        ensure(5);
        frameStart = wpos;
        wpos += 4;
        putByte(kind);
    }

    /** Ends the message begun last; sends the buffer when asked or when it is large. */
    private void end(boolean flush) throws IOException {
        int len = wpos - frameStart - 4;
        byte[] b = wbuf;
        int at = frameStart;
        b[at] = (byte) (len >>> 24);
        b[at + 1] = (byte) (len >>> 16);
        b[at + 2] = (byte) (len >>> 8);
        b[at + 3] = (byte) len;
        if (flush || wpos >= FLUSH_AT) {
            writeOut(flush);
        }
    }

    private void writeOut(boolean flush) throws IOException {
        if (wpos > 0) {
            out.write(wbuf, 0, wpos);
            wpos = 0;
        }
        if (flush) {
            out.flush();
        }
        if (wbuf.length > 1024 * 1024) {
            wbuf = new byte[64 * 1024]; // do not keep a huge buffer after a huge tuple
        }
    }

    private void ensure(int more) {
        if (wpos + more > wbuf.length) {
            long want = Math.max((long) wbuf.length * 2, (long) wpos + more);
            if (want > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("sparse fast wire: message larger than 2 GiB");
            }
            byte[] n = new byte[(int) want];
            System.arraycopy(wbuf, 0, n, 0, wpos);
            wbuf = n;
        }
    }

    private void putByte(int b) {
        ensure(1);
        wbuf[wpos++] = (byte) b;
    }

    private void putInt(int v) {
        ensure(4);
        wbuf[wpos++] = (byte) (v >>> 24);
        wbuf[wpos++] = (byte) (v >>> 16);
        wbuf[wpos++] = (byte) (v >>> 8);
        wbuf[wpos++] = (byte) v;
    }

    private void putLong(long v) {
        putInt((int) (v >>> 32));
        putInt((int) v);
    }

    /** A string as u32 byte length + UTF-8, encoded in place (lone surrogates become U+FFFD). */
    private void putStr(String s) {
        int n = s.length();
        ensure(4 + 3 * n);
        int at = wpos;
        wpos += 4;
        byte[] b = wbuf;
        int p = wpos;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                b[p++] = (byte) c;
            } else if (c < 0x800) {
                b[p++] = (byte) (0xC0 | (c >> 6));
                b[p++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < n
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                b[p++] = (byte) (0xF0 | (cp >> 18));
                b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                b[p++] = (byte) (0x80 | (cp & 0x3F));
            } else {
                if (Character.isSurrogate(c)) {
                    c = '\uFFFD';
                }
                b[p++] = (byte) (0xE0 | (c >> 12));
                b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                b[p++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        int len = p - at - 4;
        b[at] = (byte) (len >>> 24);
        b[at + 1] = (byte) (len >>> 16);
        b[at + 2] = (byte) (len >>> 8);
        b[at + 3] = (byte) len;
        wpos = p;
    }

    private void putValue(Object v, int depth) throws IOException {
        if (depth > 512) {
            throw new IOException("sparse fast wire: values nested deeper than 512");
        }
        if (v == null) {
            putByte(T_NULL);
        } else if (v instanceof String) {
            putByte(T_STR);
            putStr((String) v);
        } else if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            putByte(T_I32);
            putInt(((Number) v).intValue());
        } else if (v instanceof Long) {
            long l = (Long) v;
            putByte(T_I64);
            putLong(l);
        } else if (v instanceof Double) {
            putByte(T_F64);
            putLong(Double.doubleToRawLongBits((Double) v));
        } else if (v instanceof Float) {
            // The JSON path writes a float's shortest digits and reads them as a double.
            float f = (Float) v;
            double d = Float.isFinite(f) ? Double.parseDouble(Float.toString(f)) : f;
            putByte(T_F64);
            putLong(Double.doubleToRawLongBits(d));
        } else if (v instanceof Boolean) {
            putByte((Boolean) v ? T_TRUE : T_FALSE);
        } else if (v instanceof List) {
            List<?> l = (List<?>) v;
            putByte(T_LIST);
            putInt(l.size());
            for (Object o : l) {
                putValue(o, depth + 1);
            }
        } else if (v instanceof Map) {
            Map<?, ?> m = (Map<?, ?>) v;
            putByte(T_MAP);
            putInt(m.size());
            for (Map.Entry<?, ?> e : m.entrySet()) {
                putStr(String.valueOf(e.getKey()));
                putValue(e.getValue(), depth + 1);
            }
        } else if (v instanceof Object[]) {
            Object[] a = (Object[]) v;
            putByte(T_LIST);
            putInt(a.length);
            for (Object o : a) {
                putValue(o, depth + 1);
            }
        } else if (v instanceof BigInteger) {
            BigInteger b = (BigInteger) v;
            // As Storm's JSON parser would read its digits back: Integer, Long or BigInteger.
            if (b.bitLength() < 32) {
                putByte(T_I32);
                putInt(b.intValue());
            } else if (b.bitLength() < 64) {
                putByte(T_I64);
                putLong(b.longValue());
            } else {
                putByte(T_BIGNUM);
                putStr(b.toString());
            }
        } else if (v instanceof BigDecimal) {
            putByte(T_F64);
            putLong(Double.doubleToRawLongBits(((BigDecimal) v).doubleValue()));
        } else if (v instanceof Character) {
            putByte(T_STR);
            putStr(v.toString());
        } else {
            throw new IOException("sparse fast wire: cannot send a " + v.getClass().getName()
                + " to a shell component (tuple values must be strings, numbers, booleans, "
                + "null, lists or maps)");
        }
    }

    // ---------------------------------------------------------------------------------
    // Component -> Storm

    @Override
    public ShellMsg readShellMsg() throws IOException, NoOutputException {
        if (json != null) {
            return json.readShellMsg();
        }
        int len = readLength();
        if (len <= 0 || len > MAX_FRAME) {
            throw new IOException("sparse fast wire: the component sent a message length of "
                + (len & 0xFFFFFFFFL) + " bytes (must be 1.." + MAX_FRAME
                + "); is it writing JSON or printing to stdout?");
        }
        if (rbuf.length < len) {
            rbuf = new byte[Math.max(len, rbuf.length * 2)];
        }
        readFully(rbuf, len);
        rpos = 0;
        rlen = len;
        ShellMsg m = decodeShellMsg();
        if (rpos != rlen) {
            throw bad((rlen - rpos) + " unexpected bytes after the message");
        }
        if (rbuf.length > 1024 * 1024) {
            rbuf = new byte[64 * 1024];
        }
        return m;
    }

    private int readLength() throws IOException, NoOutputException {
        int b0 = in.read();
        if (b0 < 0) {
            throw new NoOutputException("Pipe to subprocess seems to be broken! "
                + "No output read (fast wire).");
        }
        int b1 = in.read();
        int b2 = in.read();
        int b3 = in.read();
        if ((b1 | b2 | b3) < 0) {
            throw new NoOutputException("Pipe to subprocess seems to be broken! "
                + "The stream ended inside a fast-wire message's length.");
        }
        return (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
    }

    private void readFully(byte[] b, int len) throws IOException, NoOutputException {
        int at = 0;
        while (at < len) {
            int n = in.read(b, at, len - at);
            if (n < 0) {
                throw new NoOutputException("Pipe to subprocess seems to be broken! "
                    + "The stream ended after " + at + " of " + len
                    + " bytes of a fast-wire message.");
            }
            at += n;
        }
    }

    /** Decodes a component-to-Storm message from a byte array (also used by tests). */
    public ShellMsg decodeForTest(byte[] body) throws IOException {
        rbuf = body;
        rpos = 0;
        rlen = body.length;
        ShellMsg m = decodeShellMsg();
        if (rpos != rlen) {
            throw bad((rlen - rpos) + " unexpected bytes after the message");
        }
        return m;
    }

    private IOException bad(String what) {
        return new IOException("sparse fast wire: bad message from the component: " + what
            + " (at byte " + rpos + " of " + rlen + ")");
    }

    private void need(int n, String what) throws IOException {
        if (n < 0 || rlen - rpos < n) {
            throw bad("it ends inside " + what);
        }
    }

    private int getByte(String what) throws IOException {
        need(1, what);
        return rbuf[rpos++] & 0xFF;
    }

    private int getInt(String what) throws IOException {
        need(4, what);
        byte[] b = rbuf;
        int p = rpos;
        rpos += 4;
        return ((b[p] & 0xFF) << 24) | ((b[p + 1] & 0xFF) << 16) | ((b[p + 2] & 0xFF) << 8)
            | (b[p + 3] & 0xFF);
    }

    private long getLong(String what) throws IOException {
        long hi = getInt(what) & 0xFFFFFFFFL;
        long lo = getInt(what) & 0xFFFFFFFFL;
        return (hi << 32) | lo;
    }

    private String getStr(String what) throws IOException {
        int len = getInt(what);
        need(len, what);
        String s = new String(rbuf, rpos, len, StandardCharsets.UTF_8);
        rpos += len;
        return s;
    }

    private ShellMsg decodeShellMsg() throws IOException {
        ShellMsg m = new ShellMsg();
        // What JsonSerializer gives every message whose JSON lacks these fields.
        m.setStream("default");
        m.setNeedTaskIds(true);
        int kind = getByte("a message");
        switch (kind) {
            case M_EMIT: {
                m.setCommand("emit");
                int flags = getByte("an emit's flags");
                if ((flags & ~(F_STREAM | F_NEED_IDS | F_TASK | F_ID)) != 0) {
                    rpos--;
                    throw bad("unknown emit flags 0x" + Integer.toHexString(flags));
                }
                m.setStream((flags & F_STREAM) != 0 ? getStr("an emit's stream") : "default");
                m.setTask((flags & F_TASK) != 0 ? getLong("an emit's task") : 0);
                m.setNeedTaskIds((flags & F_NEED_IDS) != 0);
                int anchors = getInt("an emit's anchor count");
                if (anchors < 0 || anchors > rlen) {
                    throw bad("anchor count " + (anchors & 0xFFFFFFFFL) + " larger than the message");
                }
                for (int i = 0; i < anchors; i++) {
                    m.addAnchor(getStr("an anchor"));
                }
                if ((flags & F_ID) != 0) {
                    m.setId(getValue(0));
                }
                m.setTuple(getList(0));
                return m;
            }
            case M_ACK:
            case M_FAIL:
                m.setCommand(kind == M_ACK ? "ack" : "fail");
                m.setId(getValue(0));
                return m;
            case M_LOG: {
                m.setCommand("log");
                int level = getInt("a log level");
                m.setMsg(getStr("a log message"));
                if (level >= 0) {
                    m.setLogLevel(level);
                }
                return m;
            }
            case M_ERROR:
                m.setCommand("error");
                m.setMsg(getStr("an error message"));
                return m;
            case M_METRICS: {
                m.setCommand("metrics");
                Object name = getValue(0);
                m.setMetricName(name instanceof String ? (String) name : null);
                m.setMetricParams(getValue(0));
                return m;
            }
            case M_SYNC:
                m.setCommand("sync");
                return m;
            default:
                rpos--;
                throw bad("unknown message kind 0x" + Integer.toHexString(kind)
                    + " (expected emit, ack, fail, log, error, metrics or sync)");
        }
    }

    private List<Object> getList(int depth) throws IOException {
        int n = getInt("a list's length");
        if (n < 0 || n > rlen - rpos) {
            throw bad("list length " + (n & 0xFFFFFFFFL) + " larger than the message");
        }
        ArrayList<Object> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(getValue(depth + 1));
        }
        return l;
    }

    private Object getValue(int depth) throws IOException {
        if (depth > 512) {
            throw bad("values nested deeper than 512");
        }
        int tag = getByte("a value");
        switch (tag) {
            case T_NULL:
                return null;
            case T_FALSE:
                return Boolean.FALSE;
            case T_TRUE:
                return Boolean.TRUE;
            case T_I32:
                return getInt("an int");
            case T_I64:
                return getLong("a long");
            case T_F64:
                return Double.longBitsToDouble(getLong("a double"));
            case T_STR:
                return getStr("a string");
            case T_BIGNUM: {
                String s = getStr("a big number");
                try {
                    return new BigInteger(s);
                } catch (NumberFormatException e) {
                    throw bad("big number \"" + s + "\" is not an integer");
                }
            }
            case T_LIST:
                return getList(depth);
            case T_MAP: {
                int n = getInt("a map's size");
                if (n < 0 || n > rlen - rpos) {
                    throw bad("map size " + (n & 0xFFFFFFFFL) + " larger than the message");
                }
                HashMap<String, Object> m = new HashMap<>(Math.max(4, n * 2));
                for (int i = 0; i < n; i++) {
                    String k = getStr("a map key");
                    m.put(k, getValue(depth + 1));
                }
                return m;
            }
            default:
                rpos--;
                throw bad("unknown value tag 0x" + Integer.toHexString(tag));
        }
    }
}
