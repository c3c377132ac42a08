package org.sparse.bench;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.apache.storm.spout.SpoutOutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.topology.base.BaseRichSpout;
import org.apache.storm.tuple.Fields;
import org.apache.storm.tuple.Values;

/**
 * The all-Java twin of {@code wordcount::SentenceSpout}: the quickstart's four sentences in a
 * cycle, each emit reliable with a fresh numeric id; a failed id is replayed before any new
 * sentence.
 */
public class SentenceSpout extends BaseRichSpout {
    static final String[] SENTENCES = {
        "She advised him to take a long holiday, so he immediately quit work and took a trip around the world",
        "I was very glad to get a present from her",
        "He will be here in half an hour",
        "She saw him eating a sandwich",
    };

    private SpoutOutputCollector collector;
    private long nextId;
    private final Map<Long, Integer> inFlight = new HashMap<>();
    private final ArrayDeque<Long> replay = new ArrayDeque<>();

    @Override
    public void open(Map<String, Object> conf, TopologyContext context, SpoutOutputCollector collector) {
        this.collector = collector;
    }

    @Override
    public void nextTuple() {
        Long id = replay.poll();
        int index;
        if (id != null) {
            index = inFlight.get(id);
        } else {
            id = nextId++;
            index = (int) (id % SENTENCES.length);
            inFlight.put(id, index);
        }
        collector.emit(new Values(SENTENCES[index]), id);
    }

    @Override
    public void ack(Object id) {
        inFlight.remove(id);
    }

    @Override
    public void fail(Object id) {
        if (inFlight.containsKey(id)) {
            replay.add((Long) id);
        }
    }

    @Override
    public void declareOutputFields(OutputFieldsDeclarer declarer) {
        declarer.declare(new Fields("sentence"));
    }
}
