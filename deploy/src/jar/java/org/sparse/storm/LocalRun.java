package org.sparse.storm;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.storm.Config;
import org.apache.storm.LocalCluster;
import org.apache.storm.flux.FluxBuilder;
import org.apache.storm.flux.model.ExecutionContext;
import org.apache.storm.flux.model.TopologyDef;
import org.apache.storm.flux.parser.FluxParser;
import org.apache.storm.generated.StormTopology;

/**
 * sparse's LocalCluster launcher for `sparse run` on a topology with JVM components.
 *
 * <p>Usage: {@code java -cp <topology jar>:<Storm jars>:<this class> org.sparse.storm.LocalRun FLUX.yaml}.
 * Builds the topology from the Flux YAML with Flux's own parser and builder, submits it to an
 * in-process LocalCluster, then prints one JSON line a second on stdout with Storm's figures per
 * component (from the local Nimbus's getTopologyInfo, all-time window, system streams left out).
 * A line "stop" on stdin, or the end of stdin (sparse gone), kills the topology, shuts the
 * LocalCluster down and exits 0. Every line it prints is one JSON object with an "event" key:
 * submitted, stats, stopping, stopped, error.
 */
public final class LocalRun {
    private LocalRun() {}

    public static void main(String[] args) throws Exception {
        // Only this class writes to stdout: everything else Storm prints goes to stderr.
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, "UTF-8");
        System.setOut(System.err);
        if (args.length != 1) {
            out.println("{\"event\":\"error\",\"message\":\"usage: LocalRun FLUX.yaml\"}");
            System.exit(2);
        }
        CountDownLatch stop = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.trim().equals("stop")) {
                        break;
                    }
                }
            } catch (Exception e) {
                // stdin gone: stop as well
            }
            stop.countDown();
        }, "sparse-stdin");
        reader.setDaemon(true);
        reader.start();

        TopologyDef def;
        Config conf;
        StormTopology topology;
        try {
            def = FluxParser.parseFile(args[0], false, true, null, false);
            conf = FluxBuilder.buildConfig(def);
            if (!conf.containsKey(Config.TOPOLOGY_STATS_SAMPLE_RATE)) {
                // Count every tuple (Storm samples 5 % by default): the summary shows exact figures.
                conf.put(Config.TOPOLOGY_STATS_SAMPLE_RATE, 1.0);
            }
            // Every task counts what Storm does through the Figures task hook (LocalCluster's
            // Nimbus reports no executor stats).
            List<Object> hooks = new ArrayList<>();
            Object given = conf.get(Config.TOPOLOGY_AUTO_TASK_HOOKS);
            if (given instanceof List) {
                hooks.addAll((List<?>) given);
            }
            hooks.add(Figures.class.getName());
            conf.put(Config.TOPOLOGY_AUTO_TASK_HOOKS, hooks);
            topology = FluxBuilder.buildTopology(new ExecutionContext(def, conf));
        } catch (Throwable e) {
            out.println("{\"event\":\"error\",\"message\":" + quote("Flux could not build the topology from " + args[0] + ": " + e) + "}");
            System.exit(1);
            return;
        }
        String name = def.getName();
        int code = 0;
        try (LocalCluster cluster = new LocalCluster()) {
            cluster.submitTopology(name, conf, topology);
            String id = cluster.getTopologyInfoByName(name).get_id();
            out.println("{\"event\":\"submitted\",\"name\":" + quote(name) + ",\"id\":" + quote(id) + "}");
            while (!stop.await(1, TimeUnit.SECONDS)) {
                out.println(Figures.line(cluster.getTopologyInfo(id)));
            }
            out.println("{\"event\":\"stopping\"}");
            out.println(Figures.line(cluster.getTopologyInfo(id)));
            cluster.killTopologyWithOpts(name, LocalCluster.KILL_NOW);
        } catch (Throwable e) {
            out.println("{\"event\":\"error\",\"message\":" + quote("LocalCluster: " + e) + "}");
            code = 1;
        }
        out.println("{\"event\":\"stopped\"}");
        out.flush();
        // LocalCluster leaves non-daemon threads behind; the JVM must end here.
        System.exit(code);
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (ch < 0x20) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
            }
        }
        return sb.append('"').toString();
    }
}
