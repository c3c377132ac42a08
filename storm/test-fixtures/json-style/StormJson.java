// Re-writes JSON texts exactly as Storm 2.8's multi-lang side does: each stdin line is one
// JSON text, parsed with the parser ShellBolt/ShellSpout use for a component's messages
// (JsonSerializer.readMessage: shaded json-smart JSONValue.parseWithException) and written
// back with the writer they use towards the component (JsonSerializer.writeMessage:
// JSONValue.toJSONString, sent through a UTF-8 OutputStreamWriter). One output line per
// input line; a text json-smart rejects prints "!ERR <exception>".
//
// Compiled and run at test time against storm/target/deps-<v>/lib/* (no binaries in git):
//   javac -cp 'storm/target/deps-2.8.3/lib/*' -d OUT StormJson.java
//   java -cp "OUT:storm/target/deps-2.8.3/lib/*" StormJson < texts.txt
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import org.apache.storm.shade.net.minidev.json.JSONValue;

public class StormJson {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, "UTF-8"));
        String line;
        while ((line = in.readLine()) != null) {
            String text;
            try {
                Object value = JSONValue.parseWithException(line);
                text = JSONValue.toJSONString(value);
                if (args.length > 0 && args[0].equals("--types")) {
                    text = text + "\t" + describe(value);
                }
            } catch (Exception e) {
                text = "!ERR " + e.toString().replace('\n', ' ');
            }
            out.write(text);
            out.write("\n");
        }
        out.flush();
    }

    private static String describe(Object v) {
        if (v instanceof java.util.List) {
            StringBuilder b = new StringBuilder("[");
            for (Object o : (java.util.List<?>) v) {
                b.append(describe(o)).append(' ');
            }
            return b.append(']').toString();
        }
        return v == null ? "null" : v.getClass().getSimpleName();
    }
}
