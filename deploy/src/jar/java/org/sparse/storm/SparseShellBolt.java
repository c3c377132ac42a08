/*
 * sparse's shell bolt: Storm's ShellBolt, rebuilt for a sparse-host task on the fast wire.
 *
 * `sparse jar` names this class (instead of Flux's FluxShellBolt) for every bolt whose command
 * runs sparse-host, when the topology uses sparse's serializer. It speaks the same multi-lang
 * protocol through Storm's own ShellProcess and the configured serializer, with the same
 * heartbeats, subprocess timeout, log handler, metrics, error reports, task-id replies,
 * `topology.shellbolt.max.pending` bound and "Halting process: ShellBolt died" death. What
 * differs is the cost per tuple:
 *
 *  - Writes are coalesced. ShellBolt's writer thread writes and flushes one message per
 *    pipe write(2), so every tuple costs a system call on the JVM side and a wake-up of the
 *    component. Here the writer thread takes every message queued since its last pass (task
 *    ids first, as ShellBolt does), encodes them into one buffer and flushes only when the
 *    queue is empty, i.e. when it is about to block. Under load one write carries many
 *    tuples; when idle, a tuple still leaves at once.
 *  - The queue wakes the writer only when it sleeps: the executor thread pays an uncontended
 *    lock, not a futex call, per tuple while the writer is busy.
 *  - Input ids are a counter ("1", "2", ...) instead of a random long's 19 digits: shorter to
 *    encode, decode and hash in the map of pending inputs.
 *
 * Flux builds it exactly like FluxShellBolt: constructor (command) or (command, default
 * stream's fields), then setDefaultStream / setNamedStream / addComponentConfig.
 */
package org.sparse.storm;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.storm.Config;
import org.apache.storm.Constants;
import org.apache.storm.multilang.BoltMsg;
import org.apache.storm.multilang.ShellMsg;
import org.apache.storm.task.OutputCollector;
import org.apache.storm.task.ShellBolt;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.IRichBolt;
import org.apache.storm.tuple.Tuple;
import org.apache.storm.utils.ConfigUtils;
import org.apache.storm.utils.ShellLogHandler;
import org.apache.storm.utils.ShellUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public class SparseShellBolt extends ShellComponent implements IRichBolt {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SparseShellBolt.class);
    /** Messages the writer takes from the queue per pass (it flushes only when it is empty). */
    static final int WRITE_BATCH = 256;

    // Runtime, per task.
    private transient OutputCollector collector;
    private transient TopologyContext context;
    private transient ConcurrentHashMap<String, Tuple> inputs;
    private transient long nextId;
    private transient ShellLogHandler logHandler;
    private transient WriteQueue pending;
    private transient Thread readerThread;
    private transient Thread writerThread;
    private transient ScheduledExecutorService heartbeatTimer;
    private transient AtomicLong lastHeartbeat;
    private transient AtomicBoolean sendHeartbeat;
    private transient volatile boolean running;
    private transient volatile Throwable exception;
    private transient boolean localMode;
    private transient long timeoutMillis;

    public SparseShellBolt(String[] command) {
        super(command);
    }

    public SparseShellBolt(String[] command, String[] outputFields) {
        this(command);
        setDefaultStream(outputFields);
    }

    @Override
    public void prepare(Map<String, Object> conf, TopologyContext context,
                        OutputCollector collector) {
        this.collector = collector;
        this.context = context;
        this.inputs = new ConcurrentHashMap<>();
        this.localMode = ConfigUtils.isLocalMode(conf);
        Object maxPending = conf.get(Config.TOPOLOGY_SHELLBOLT_MAX_PENDING);
        this.pending = new WriteQueue(maxPending instanceof Number
            ? Math.max(1, ((Number) maxPending).intValue()) : Integer.MAX_VALUE);
        this.timeoutMillis = timeoutMillis(conf);
        this.lastHeartbeat = new AtomicLong(System.currentTimeMillis());
        this.sendHeartbeat = new AtomicBoolean(false);
        this.running = true;

        launch(conf, context);
        // ShellBolt's logger name, so that the component's log lines read as they always have.
        logHandler = ShellUtils.getLogHandler(conf);
        logHandler.setUpContext(ShellBolt.class, process, context);

        String who = context.getThisComponentId() + "-" + context.getThisTaskId();
        readerThread = new Thread(this::readLoop, "sparse-shell-reader-" + who);
        readerThread.setDaemon(true);
        readerThread.start();
        writerThread = new Thread(this::writeLoop, "sparse-shell-writer-" + who);
        writerThread.setDaemon(true);
        writerThread.start();

        heartbeatTimer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sparse-shell-heartbeat-" + who);
            t.setDaemon(true);
            return t;
        });
        heartbeatTimer.scheduleAtFixedRate(this::checkHeartbeat, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public void execute(Tuple input) {
        if (exception != null) {
            throw new RuntimeException(exception);
        }
        String id = Long.toString(++nextId);
        inputs.put(id, input);
        BoltMsg msg = new BoltMsg();
        msg.setId(id);
        msg.setComp(input.getSourceComponent());
        msg.setStream(input.getSourceStreamId());
        msg.setTask(input.getSourceTask());
        msg.setTuple(input.getValues());
        try {
            pending.putTuple(msg);
        } catch (InterruptedException e) {
            // The bolt is shutting down (ShellBolt ignores this too).
        }
    }

    @Override
    public void cleanup() {
        running = false;
        if (heartbeatTimer != null) {
            heartbeatTimer.shutdownNow();
        }
        if (writerThread != null) {
            writerThread.interrupt();
        }
        if (readerThread != null) {
            readerThread.interrupt();
        }
        if (process != null) {
            process.destroy();
        }
        if (inputs != null) {
            inputs.clear();
        }
    }

    // ---------------------------------------------------------------------------------
    // Heartbeats: every second the writer sends a heartbeat tuple; any message from the
    // component counts as its answer; silence for the subprocess timeout kills the bolt.

    private void checkHeartbeat() {
        long silent = System.currentTimeMillis() - lastHeartbeat.get();
        if (silent > timeoutMillis) {
            die(new RuntimeException("subprocess heartbeat timeout"));
        }
        sendHeartbeat.set(true);
        pending.wakeWriter();
    }

    private BoltMsg heartbeatMsg() {
        BoltMsg msg = new BoltMsg();
        msg.setId("h" + (++heartbeatId));
        msg.setTask(Constants.SYSTEM_TASK_ID);
        msg.setStream(ShellBolt.HEARTBEAT_STREAM_ID);
        msg.setTuple(new ArrayList<>());
        return msg;
    }

    /** Heartbeat ids (writer thread only); the "h" keeps them apart from the inputs' ids. */
    private transient long heartbeatId;

    // ---------------------------------------------------------------------------------
    // Writer thread.

    private void writeLoop() {
        ArrayList<Object> batch = new ArrayList<>(WRITE_BATCH);
        boolean unflushed = false;
        while (running) {
            try {
                if (sendHeartbeat.compareAndSet(true, false)) {
                    write(heartbeatMsg());
                    unflushed = true;
                }
                batch.clear();
                // Blocks (up to a second, for heartbeats) only when everything is flushed.
                pending.drain(batch, WRITE_BATCH, unflushed ? 0 : TimeUnit.SECONDS.toNanos(1));
                if (batch.isEmpty()) {
                    if (unflushed) {
                        flush();
                        unflushed = false;
                    }
                    continue;
                }
                for (int i = 0, n = batch.size(); i < n; i++) {
                    Object w = batch.get(i);
                    batch.set(i, null);
                    if (w instanceof BoltMsg) {
                        write((BoltMsg) w);
                    } else {
                        @SuppressWarnings("unchecked")
                        List<Integer> ids = (List<Integer>) w;
                        process.writeTaskIds(ids); // flushed: the component waits for it
                    }
                }
                unflushed = true;
            } catch (InterruptedException e) {
                // Shutting down: the loop ends when running is false.
            } catch (Throwable t) {
                die(t);
            }
        }
    }

    private void write(BoltMsg msg) throws IOException {
        if (fast != null) {
            fast.writeBoltMsg(msg, false);
        } else {
            process.writeBoltMsg(msg);
        }
    }

    private void flush() throws IOException {
        if (fast != null) {
            fast.flush();
        }
    }

    // ---------------------------------------------------------------------------------
    // Reader thread.

    private void readLoop() {
        while (running) {
            try {
                ShellMsg msg = process.readShellMsg();
                String cmd = msg.getCommand();
                if (cmd == null) {
                    throw new IllegalArgumentException("Command not found in bolt message: " + msg);
                }
                lastHeartbeat.set(System.currentTimeMillis());
                switch (cmd) {
                    case "ack":
                        collector.ack(takeInput(msg.getId(), "Acked"));
                        break;
                    case "fail":
                        collector.fail(takeInput(msg.getId(), "Failed"));
                        break;
                    case "error":
                        collector.reportError(new Exception("Shell Process Exception: " + msg.getMsg()));
                        break;
                    case "log":
                        logHandler.log(msg);
                        break;
                    case "emit":
                        emit(msg);
                        break;
                    case "metrics":
                        updateMetric(context, msg);
                        break;
                    default: // "sync": the heartbeat was updated above
                        break;
                }
            } catch (InterruptedException e) {
                // Shutting down.
            } catch (Throwable t) {
                die(t);
            }
        }
    }

    private Tuple takeInput(Object id, String what) {
        Tuple t = id == null ? null : inputs.remove(id instanceof String ? id : id.toString());
        if (t == null) {
            throw new RuntimeException(what + " a non-existent or already acked/failed id: " + id);
        }
        return t;
    }

    private void emit(ShellMsg msg) throws InterruptedException {
        List<String> ids = msg.getAnchors();
        List<Tuple> anchors;
        if (ids == null || ids.isEmpty()) {
            anchors = new ArrayList<>(0);
        } else {
            anchors = new ArrayList<>(ids.size());
            for (String a : ids) {
                Tuple t = inputs.get(a);
                if (t == null) {
                    throw new RuntimeException("Anchored onto " + a + " after ack/fail");
                }
                anchors.add(t);
            }
        }
        if (msg.getTask() == 0) {
            List<Integer> tasks = collector.emit(msg.getStream(), anchors, msg.getTuple());
            if (msg.areTaskIdsNeeded()) {
                pending.putTaskIds(tasks);
            }
        } else {
            collector.emitDirect((int) msg.getTask(), msg.getStream(), anchors, msg.getTuple());
        }
    }

    /** As ShellBolt: report, log "Halting process: ShellBolt died", and end the worker. */
    private synchronized void die(Throwable cause) {
        String info = processInfo();
        exception = new RuntimeException(info, cause);
        LOG.error(String.format("Halting process: ShellBolt died. Command: %s, ProcessInfo %s",
            Arrays.toString(command), info), cause);
        collector.reportError(cause);
        if (!localMode && (running || cause instanceof Error)) {
            System.exit(11);
        }
    }

    /**
     * The messages waiting for the writer: tuples (bounded by `topology.shellbolt.max.pending`,
     * the executor blocks when it is full) and task-id replies (unbounded, written first).
     */
    static final class WriteQueue {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition notEmpty = lock.newCondition();
        private final Condition notFull = lock.newCondition();
        private final ArrayDeque<BoltMsg> tuples = new ArrayDeque<>();
        private final ArrayDeque<List<Integer>> taskIds = new ArrayDeque<>();
        private final int capacity;
        /** True while the writer waits in drain: only then does a put signal it. */
        private boolean writerWaiting;

        WriteQueue(int capacity) {
            this.capacity = capacity;
        }

        void putTuple(BoltMsg msg) throws InterruptedException {
            lock.lockInterruptibly();
            try {
                while (tuples.size() >= capacity) {
                    notFull.await();
                }
                tuples.addLast(msg);
                signalWriter();
            } finally {
                lock.unlock();
            }
        }

        void putTaskIds(List<Integer> ids) {
            lock.lock();
            try {
                taskIds.addLast(ids);
                signalWriter();
            } finally {
                lock.unlock();
            }
        }

        void wakeWriter() {
            lock.lock();
            try {
                signalWriter();
            } finally {
                lock.unlock();
            }
        }

        private void signalWriter() {
            if (writerWaiting) {
                writerWaiting = false;
                notEmpty.signal();
            }
        }

        /**
         * Moves up to `max` messages to `out`, task ids first, waiting up to `timeoutNanos`
         * while there are none (0: do not wait).
         */
        void drain(List<Object> out, int max, long timeoutNanos) throws InterruptedException {
            lock.lockInterruptibly();
            try {
                long nanos = timeoutNanos;
                while (tuples.isEmpty() && taskIds.isEmpty() && nanos > 0) {
                    writerWaiting = true;
                    nanos = notEmpty.awaitNanos(nanos);
                    if (!writerWaiting) {
                        break; // woken by a put, or by the heartbeat timer
                    }
                }
                writerWaiting = false;
                while (!taskIds.isEmpty() && out.size() < max) {
                    out.add(taskIds.pollFirst());
                }
                boolean wasFull = tuples.size() >= capacity;
                while (!tuples.isEmpty() && out.size() < max) {
                    out.add(tuples.pollFirst());
                }
                if (wasFull) {
                    notFull.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
