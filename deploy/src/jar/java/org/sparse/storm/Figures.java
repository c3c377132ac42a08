package org.sparse.storm;

import java.util.Map;
import java.util.TreeMap;

import org.apache.storm.generated.ExecutorSpecificStats;
import org.apache.storm.generated.ExecutorSummary;
import org.apache.storm.generated.TopologyInfo;
import org.apache.storm.hooks.BaseTaskHook;
import org.apache.storm.hooks.info.BoltAckInfo;
import org.apache.storm.hooks.info.BoltExecuteInfo;
import org.apache.storm.hooks.info.BoltFailInfo;
import org.apache.storm.hooks.info.EmitInfo;
import org.apache.storm.hooks.info.SpoutAckInfo;
import org.apache.storm.hooks.info.SpoutFailInfo;
import org.apache.storm.task.TopologyContext;

/**
 * The task hook {@link LocalRun} adds to every task (topology.auto.task.hooks): it counts, per
 * component and in this JVM, what Storm's executors do: tuples emitted on non-system streams,
 * spout trees acked and failed with their complete latency, and bolt tuples executed, acked and
 * failed (tick tuples apart). Storm's own components ("__acker", ...) are not counted.
 */
public final class Figures extends BaseTaskHook {
    private static final int EMITTED = 0;
    private static final int ACKED = 1;
    private static final int FAILED = 2;
    private static final int EXECUTED = 3;
    private static final int TICKS = 4;
    private static final int LATENCY_MS = 5;
    private static final int LATENCY_N = 6;
    private static final Map<String, long[]> SUMS = new TreeMap<>();

    private long[] mine;

    @Override
    public void prepare(Map<String, Object> conf, TopologyContext context) {
        String component = context.getThisComponentId();
        if (!component.startsWith("__")) {
            synchronized (SUMS) {
                mine = SUMS.computeIfAbsent(component, k -> new long[7]);
            }
        }
    }

    private void add(int field, long n) {
        if (mine != null) {
            synchronized (SUMS) {
                mine[field] += n;
            }
        }
    }

    private static boolean system(String stream) {
        return stream.startsWith("__");
    }

    @Override
    public void emit(EmitInfo info) {
        if (!system(info.stream)) {
            add(EMITTED, 1);
        }
    }

    @Override
    public void spoutAck(SpoutAckInfo info) {
        add(ACKED, 1);
        if (info.completeLatencyMs != null) {
            add(LATENCY_MS, info.completeLatencyMs);
            add(LATENCY_N, 1);
        }
    }

    @Override
    public void spoutFail(SpoutFailInfo info) {
        add(FAILED, 1);
    }

    @Override
    public void boltExecute(BoltExecuteInfo info) {
        if ("__tick".equals(info.tuple.getSourceStreamId())) {
            add(TICKS, 1);
        } else if (!system(info.tuple.getSourceStreamId())) {
            add(EXECUTED, 1);
        }
    }

    @Override
    public void boltAck(BoltAckInfo info) {
        if (!system(info.tuple.getSourceStreamId())) {
            add(ACKED, 1);
        }
    }

    @Override
    public void boltFail(BoltFailInfo info) {
        if (!system(info.tuple.getSourceStreamId())) {
            add(FAILED, 1);
        }
    }

    /** One JSON line: every component of the topology with its kind and tasks, and the counts so far. */
    static String line(TopologyInfo info) {
        Map<String, long[]> tasks = new TreeMap<>();
        Map<String, String> kinds = new TreeMap<>();
        for (ExecutorSummary ex : info.get_executors()) {
            String c = ex.get_component_id();
            if (c.startsWith("__")) {
                continue;
            }
            long[] t = tasks.computeIfAbsent(c, k -> new long[1]);
            t[0] += ex.get_executor_info().get_task_end() - ex.get_executor_info().get_task_start() + 1;
            ExecutorSpecificStats spec = ex.get_stats() == null ? null : ex.get_stats().get_specific();
            if (spec != null) {
                kinds.put(c, spec.is_set_spout() ? "spout" : "bolt");
            }
        }
        StringBuilder sb = new StringBuilder("{\"event\":\"stats\",\"uptime_secs\":");
        sb.append(info.get_uptime_secs()).append(",\"components\":[");
        boolean first = true;
        synchronized (SUMS) {
            for (Map.Entry<String, long[]> e : tasks.entrySet()) {
                long[] f = SUMS.getOrDefault(e.getKey(), new long[7]);
                if (!first) {
                    sb.append(',');
                }
                first = false;
                sb.append("{\"id\":").append(LocalRun.quote(e.getKey()))
                    .append(",\"kind\":").append(LocalRun.quote(kinds.getOrDefault(e.getKey(), "unknown")))
                    .append(",\"tasks\":").append(e.getValue()[0])
                    .append(",\"emitted\":").append(f[EMITTED])
                    .append(",\"acked\":").append(f[ACKED])
                    .append(",\"failed\":").append(f[FAILED])
                    .append(",\"executed\":").append(f[EXECUTED])
                    .append(",\"ticks\":").append(f[TICKS]);
                if (f[LATENCY_N] > 0) {
                    sb.append(",\"complete_latency_mean_ms\":").append((double) f[LATENCY_MS] / f[LATENCY_N]);
                }
                sb.append('}');
            }
        }
        return sb.append("]}").toString();
    }
}
