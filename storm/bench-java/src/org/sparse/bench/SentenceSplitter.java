package org.sparse.bench;

import java.util.Map;
import org.apache.storm.task.OutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.topology.base.BaseRichBolt;
import org.apache.storm.tuple.Fields;
import org.apache.storm.tuple.Tuple;
import org.apache.storm.tuple.Values;

/**
 * The all-Java twin of {@code wordcount::SentenceSplitter}: strips {@code .,!?}, splits on
 * spaces, emits each word anchored to the sentence, then acks it (fails a sentence without
 * words).
 */
public class SentenceSplitter extends BaseRichBolt {
    private OutputCollector collector;

    @Override
    public void prepare(Map<String, Object> conf, TopologyContext context, OutputCollector collector) {
        this.collector = collector;
    }

    @Override
    public void execute(Tuple input) {
        String sentence = input.getString(0);
        StringBuilder cleaned = new StringBuilder(sentence.length());
        for (int i = 0; i < sentence.length(); i++) {
            char c = sentence.charAt(i);
            if (c != '.' && c != ',' && c != '!' && c != '?') {
                cleaned.append(c);
            }
        }
        boolean any = false;
        for (String part : cleaned.toString().split(" ")) {
            String word = part.trim();
            if (!word.isEmpty()) {
                collector.emit(input, new Values(word));
                any = true;
            }
        }
        if (any) {
            collector.ack(input);
        } else {
            collector.fail(input);
        }
    }

    @Override
    public void declareOutputFields(OutputFieldsDeclarer declarer) {
        declarer.declare(new Fields("word"));
    }
}
