/*
 * sparse's shell spout: Storm's ShellSpout, rebuilt for a sparse-host task on the fast wire.
 *
 * `sparse jar` names this class (instead of Flux's FluxShellSpout) for every spout whose
 * command runs sparse-host, when the topology uses sparse's serializer. Same protocol
 * (next / ack / fail / activate / deactivate, each answered by "sync"; emits, logs, errors,
 * metrics and task-id replies in between), same heartbeat rule (the subprocess timeout counts
 * while Storm waits on the component), same "Halting process: ShellSpout died".
 *
 * What differs is that Storm's spout executor no longer waits for a whole round trip per
 * command. ShellSpout writes "next", then blocks until the component's "sync" comes back, and
 * does the same for every ack and fail: the topology's rate is one process round trip per
 * command. Here up to `sparse.spout.pipeline` commands (default 8; 1 gives ShellSpout's one at
 * a time, for every command) are in the component's pipe at once:
 *
 *  - nextTuple() tops the pipe up with "next" commands, flushes, then reads until the oldest
 *    "next" is answered (its emits go to Storm from this thread, as in ShellSpout), and then
 *    whatever else has already arrived. So every call still returns with that next's
 *    emits, while the component is already working on the following ones.
 *  - ack() and fail() are written without waiting for their "sync" while the pipe has room;
 *    the replies are read with the next call's. They are flushed by the next nextTuple()
 *    (which Storm calls right after a batch of acks), at once while the spout is inactive,
 *    and by a timer at least once a second.
 *  - "next" commands in flight count against `topology.max.spout.pending`, as the tuples
 *    they will emit would: no more are sent than the limit leaves room for.
 *  - activate() and deactivate() first wait for every command in flight, then run as in
 *    ShellSpout.
 *
 * Flux builds it like FluxShellSpout: constructor (command) or (command, default stream's
 * fields), then setDefaultStream / setNamedStream / addComponentConfig.
 */
package org.sparse.storm;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.storm.Config;
import org.apache.storm.multilang.ShellMsg;
import org.apache.storm.multilang.SpoutMsg;
import org.apache.storm.spout.ShellSpout;
import org.apache.storm.spout.SpoutOutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.IRichSpout;
import org.apache.storm.utils.ConfigUtils;
import org.apache.storm.utils.ShellLogHandler;
import org.apache.storm.utils.ShellUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public class SparseShellSpout extends ShellComponent implements IRichSpout {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SparseShellSpout.class);
    /**
     * Conf key: commands in the component's pipe at once (1: ShellSpout's one at a time).
     * The same key and default as sparse_protocol::shell::SPOUT_PIPELINE_KEY (`sparse run`);
     * `sparse jar` refuses a value that is not a whole number from 1.
     */
    public static final String PIPELINE_CONF = "sparse.spout.pipeline";
    /** Its default. */
    static final int DEFAULT_PIPELINE = 8;

    private static final byte NEXT = 'n', ACK = 'a', FAIL = 'f', ACTIVATE = 'A', DEACTIVATE = 'D';

    // Runtime, per task. Everything but the timer's fields is used by the executor thread only.
    private transient SpoutOutputCollector collector;
    private transient TopologyContext context;
    private transient ShellLogHandler logHandler;
    private transient ScheduledExecutorService timer;
    private transient AtomicLong lastHeartbeat;
    private transient AtomicBoolean waiting;
    private transient volatile boolean running;
    private transient volatile boolean active;
    private transient volatile RuntimeException exception;
    private transient boolean localMode;
    private transient long timeoutMillis;
    private transient int depth;
    private transient long maxPending;
    /** Commands written whose "sync" has not been read yet, oldest first. */
    private transient ArrayDeque<Byte> awaiting;
    private transient int nextsInFlight;
    /** Tuples emitted with an id and not yet acked or failed (Storm's pending count, seen here). */
    private transient long outstanding;
    private transient SpoutMsg scratch;

    public SparseShellSpout(String[] command) {
        super(command);
    }

    public SparseShellSpout(String[] command, String[] outputFields) {
        this(command);
        setDefaultStream(outputFields);
    }

    @Override
    public void open(Map<String, Object> conf, TopologyContext context,
                     SpoutOutputCollector collector) {
        this.collector = collector;
        this.context = context;
        this.localMode = ConfigUtils.isLocalMode(conf);
        this.timeoutMillis = timeoutMillis(conf);
        Object max = conf.get(Config.TOPOLOGY_MAX_SPOUT_PENDING);
        this.maxPending = max instanceof Number ? ((Number) max).longValue() : 0;
        Object d = conf.get(PIPELINE_CONF);
        this.depth = d instanceof Number ? Math.max(1, ((Number) d).intValue()) : DEFAULT_PIPELINE;
        this.lastHeartbeat = new AtomicLong(System.currentTimeMillis());
        this.waiting = new AtomicBoolean(false);
        this.awaiting = new ArrayDeque<>();
        this.scratch = new SpoutMsg();
        this.running = true;

        launch(conf, context);
        if (fast == null) {
            depth = 1; // input cannot be polled: one command at a time, as ShellSpout
        }
        logHandler = ShellUtils.getLogHandler(conf);
        logHandler.setUpContext(ShellSpout.class, process, context);

        String who = context.getThisComponentId() + "-" + context.getThisTaskId();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sparse-shell-spout-timer-" + who);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(this::onTimer, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        running = false;
        if (timer != null) {
            timer.shutdownNow();
        }
        if (process != null) {
            process.destroy();
        }
    }

    @Override
    public void nextTuple() {
        check();
        try {
            // Room for a next: a pipe full of acks and fails is answered first.
            while (awaiting.size() >= depth) {
                readOne(true);
            }
            while (awaiting.size() < depth
                    && (maxPending <= 0 || outstanding + nextsInFlight < maxPending)) {
                send(NEXT, "next", "", false);
                nextsInFlight++;
            }
            if (nextsInFlight == 0) {
                flush(); // at max pending: acks written since the last call still go out
                return;
            }
            // Until the oldest next is answered, then whatever else is already here.
            int goal = nextsInFlight - 1;
            while (nextsInFlight > goal) {
                readOne(true);
            }
            readAvailable();
        } catch (IOException | RuntimeException e) {
            throw failed(e);
        }
    }

    @Override
    public void ack(Object msgId) {
        settle(ACK, "ack", msgId);
    }

    @Override
    public void fail(Object msgId) {
        settle(FAIL, "fail", msgId);
    }

    /**
     * An ack or fail: written without waiting for its sync (flushed at once while inactive,
     * when no nextTuple() will follow) while fewer than the pipeline's depth of commands are
     * in flight; with depth 1 this is ShellSpout's wait for every sync.
     */
    private void settle(byte kind, String name, Object msgId) {
        check();
        outstanding--;
        try {
            send(kind, name, msgId, !active);
            if (!active) {
                readAvailable();
            }
            while (awaiting.size() >= depth) {
                readOne(true);
            }
        } catch (IOException | RuntimeException e) {
            throw failed(e);
        }
    }

    @Override
    public void activate() {
        LOG.info("Start checking heartbeat...");
        lastHeartbeat.set(System.currentTimeMillis());
        command(ACTIVATE, "activate");
        active = true;
    }

    @Override
    public void deactivate() {
        active = false;
        command(DEACTIVATE, "deactivate");
    }

    /** Waits for every command in flight, then sends one and waits for its sync. */
    private void command(byte kind, String name) {
        check();
        try {
            while (!awaiting.isEmpty()) {
                readOne(true);
            }
            send(kind, name, "", true);
            while (!awaiting.isEmpty()) {
                readOne(true);
            }
        } catch (IOException | RuntimeException e) {
            throw failed(e);
        }
    }

    private void check() {
        if (exception != null) {
            throw exception;
        }
    }

    private RuntimeException failed(Exception e) {
        return new RuntimeException(processInfo(), e);
    }

    private void send(byte kind, String name, Object id, boolean flush) throws IOException {
        scratch.setCommand(name);
        scratch.setId(id);
        if (fast != null) {
            fast.writeSpoutMsg(scratch, flush);
        } else {
            process.writeSpoutMsg(scratch);
        }
        awaiting.addLast(kind);
    }

    private void flush() throws IOException {
        if (fast != null) {
            fast.flush();
        }
    }

    private void readAvailable() throws IOException {
        while (readOne(false)) {
            // drained
        }
    }

    /**
     * Reads and handles one message from the component. With `block` false it returns false
     * at once when nothing has arrived; blocking, it flushes first and counts as waiting on
     * the component for the heartbeat check.
     */
    private boolean readOne(boolean block) throws IOException {
        ShellMsg msg;
        if (block) {
            flush();
            waiting.set(true);
            try {
                msg = process.readShellMsg();
            } finally {
                waiting.set(false);
            }
        } else {
            if (fast == null || awaiting.isEmpty() || !fast.inputReady()) {
                return false;
            }
            msg = process.readShellMsg();
        }
        lastHeartbeat.set(System.currentTimeMillis());
        String cmd = msg.getCommand();
        if (cmd == null) {
            throw new IllegalArgumentException("Command not found in spout message: " + msg);
        }
        switch (cmd) {
            case "sync": {
                Byte done = awaiting.pollFirst();
                if (done == null) {
                    throw new IllegalStateException("the component sent a sync nobody asked for");
                }
                if (done == NEXT) {
                    nextsInFlight--;
                }
                break;
            }
            case "emit":
                emit(msg);
                break;
            case "log":
                logHandler.log(msg);
                break;
            case "error":
                collector.reportError(new Exception("Shell Process Exception: " + msg.getMsg()));
                break;
            case "metrics":
                updateMetric(context, msg);
                break;
            default:
                throw new RuntimeException("Unknown command received: " + cmd);
        }
        return true;
    }

    private void emit(ShellMsg msg) throws IOException {
        Object id = msg.getId();
        long task = msg.getTask();
        if (task == 0) {
            List<Integer> tasks = collector.emit(msg.getStream(), msg.getTuple(), id);
            if (msg.areTaskIdsNeeded()) {
                process.writeTaskIds(tasks); // flushed: the component waits for it
            }
        } else {
            collector.emitDirect((int) task, msg.getStream(), msg.getTuple(), id);
        }
        if (id != null) {
            outstanding++;
        }
    }

    /** Every second: the heartbeat check (as ShellSpout's), and a flush of waiting acks. */
    private void onTimer() {
        if (waiting.get() && System.currentTimeMillis() - lastHeartbeat.get() > timeoutMillis) {
            die(new RuntimeException("subprocess heartbeat timeout"));
            return;
        }
        try {
            flush(); // the serializer's buffer is locked: safe beside the executor thread
        } catch (IOException e) {
            // The executor thread meets the same broken pipe on its next call.
        }
    }

    /** As ShellSpout: report, log "Halting process: ShellSpout died", and end the worker. */
    private synchronized void die(Throwable cause) {
        String info = processInfo();
        exception = new RuntimeException(info, cause);
        LOG.error(String.format("Halting process: ShellSpout died. Command: %s, ProcessInfo %s",
            Arrays.toString(command), info), cause);
        collector.reportError(cause);
        if (!localMode && (running || cause instanceof Error)) {
            System.exit(11);
        }
        // In local mode the worker lives on: end the component so that the executor thread,
        // blocked reading it, fails instead of waiting forever.
        process.destroy();
    }
}
