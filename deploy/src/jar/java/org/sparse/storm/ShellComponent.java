/*
 * What sparse's shell spout and bolt share: how Flux builds them (as it builds Flux's
 * FluxShellSpout / FluxShellBolt), how they start the component, and the protocol pieces
 * that do not depend on the role (metrics, the subprocess timeout, the process description).
 */
package org.sparse.storm;

import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.storm.Config;
import org.apache.storm.metric.api.IMetric;
import org.apache.storm.metric.api.rpc.IShellMetric;
import org.apache.storm.multilang.ShellMsg;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.tuple.Fields;
import org.apache.storm.utils.ObjectReader;
import org.apache.storm.utils.ShellProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public abstract class ShellComponent implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ShellComponent.class);

    // Built by Flux (serialized with the topology).
    protected final String[] command;
    private final HashMap<String, String[]> outputFields = new HashMap<>();
    private HashMap<String, Object> componentConfig;
    private HashMap<String, String> env = new HashMap<>();
    private boolean changeDirectory = true;

    /** The component's process, once {@link #launch} ran. */
    protected transient ShellProcess process;
    /** The serializer when it is sparse's (writes can wait for a flush, input can be polled). */
    protected transient SparseSerializer fast;

    protected ShellComponent(String[] command) {
        this.command = command;
    }

    public void addComponentConfig(String key, Object value) {
        if (componentConfig == null) {
            componentConfig = new HashMap<>();
        }
        componentConfig.put(key, value);
    }

    public void addComponentConfig(String key, List<Object> values) {
        addComponentConfig(key, (Object) values);
    }

    public void setDefaultStream(String[] fields) {
        setNamedStream("default", fields);
    }

    public void setNamedStream(String name, String[] fields) {
        outputFields.put(name, fields);
    }

    /** Extra environment variables for the subprocess. */
    public void setEnv(Map<String, String> env) {
        this.env = new HashMap<>(env);
    }

    /** Whether the subprocess runs in the topology's resources folder (default true). */
    public void changeChildCWD(boolean changeDirectory) {
        this.changeDirectory = changeDirectory;
    }

    public void declareOutputFields(OutputFieldsDeclarer declarer) {
        for (Map.Entry<String, String[]> e : outputFields.entrySet()) {
            if (e.getKey().equals("default")) {
                declarer.declare(new Fields(e.getValue()));
            } else {
                declarer.declareStream(e.getKey(), new Fields(e.getValue()));
            }
        }
    }

    public Map<String, Object> getComponentConfiguration() {
        return componentConfig;
    }

    /** Starts the component and reads its pid reply (the handshake), as Storm's classes do. */
    protected void launch(Map<String, Object> conf, TopologyContext context) {
        process = new ShellProcess(command);
        if (!env.isEmpty()) {
            process.setEnv(env);
        }
        Number pid = process.launch(conf, context, changeDirectory);
        LOG.info("Launched subprocess with pid {}", pid);
        fast = process.serializer instanceof SparseSerializer
            ? (SparseSerializer) process.serializer : null;
    }

    /** `topology.subprocess.timeout.secs`, else `supervisor.worker.timeout.secs`, in ms. */
    protected static long timeoutMillis(Map<String, Object> conf) {
        Object secs = conf.containsKey(Config.TOPOLOGY_SUBPROCESS_TIMEOUT_SECS)
            ? conf.get(Config.TOPOLOGY_SUBPROCESS_TIMEOUT_SECS)
            : conf.get(Config.SUPERVISOR_WORKER_TIMEOUT_SECS);
        return 1000L * ObjectReader.getInt(secs);
    }

    /** The process and how it ended, for error messages. */
    protected String processInfo() {
        return process.getProcessInfoString() + process.getProcessTerminationInfoString();
    }

    /** A "metrics" message: updates the shell metric the component names, as Storm does. */
    // Shell metrics are V1 metrics (deprecated in Storm 2), looked up as Storm's classes do.
    @SuppressWarnings("deprecation")
    protected static void updateMetric(TopologyContext context, ShellMsg msg) {
        String name = msg.getMetricName();
        if (name == null || name.isEmpty()) {
            throw new RuntimeException("Receive Metrics name is empty");
        }
        IMetric metric = context.getRegisteredMetricByName(name);
        if (metric == null) {
            throw new RuntimeException("Could not find metric by name[" + name + "] ");
        }
        if (!(metric instanceof IShellMetric)) {
            throw new RuntimeException("Metric[" + name + "] is not IShellMetric, can not call by RPC");
        }
        try {
            ((IShellMetric) metric).updateMetricFromRPC(msg.getMetricParams());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
