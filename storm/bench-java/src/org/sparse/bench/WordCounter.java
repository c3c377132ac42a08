package org.sparse.bench;

import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import org.apache.storm.task.OutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.topology.base.BaseRichBolt;
import org.apache.storm.tuple.Fields;
import org.apache.storm.tuple.Tuple;
import org.apache.storm.tuple.Values;

/**
 * The all-Java twin of {@code wordcount::WordCounter}: counts words, emits {@code [word,
 * count]} anchored, acks, and every 1000 words writes {@code counted N words, M distinct} to
 * its task log, a file named and shaped as sparse-host's
 * ({@code <streamparse.log.path>/streamparse_<topology>_<component>_<task>_<pid>.log}, lines
 * {@code 2026-01-02T03:04:05.678Z INFO ...} in UTC), so storm/bench-wordcount.sh measures
 * every variant from the same lines.
 */
public class WordCounter extends BaseRichBolt {
    private static final DateTimeFormatter STAMP =
        DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private OutputCollector collector;
    private final Map<String, Long> counts = new HashMap<>();
    private long total;
    private PrintWriter log;

    @Override
    public void prepare(Map<String, Object> conf, TopologyContext context, OutputCollector collector) {
        this.collector = collector;
        Object dir = conf.get("streamparse.log.path");
        if (dir != null) {
            String name = String.format("streamparse_%s_%s_%d_%d.log", conf.get("topology.name"),
                context.getThisComponentId(), context.getThisTaskId(), ProcessHandle.current().pid());
            try {
                log = new PrintWriter(new FileWriter(Path.of(dir.toString(), name).toFile(), true));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the task log in " + dir, e);
            }
        }
    }

    @Override
    public void execute(Tuple input) {
        String word = input.getString(0);
        long count = counts.merge(word, 1L, Long::sum);
        total++;
        if (total % 1000 == 0 && log != null) {
            log.printf("%s INFO counted %d words, %d distinct%n", STAMP.format(Instant.now()), total, counts.size());
            log.flush();
        }
        collector.emit(input, new Values(word, count));
        collector.ack(input);
    }

    @Override
    public void cleanup() {
        if (log != null) {
            log.close();
        }
    }

    @Override
    public void declareOutputFields(OutputFieldsDeclarer declarer) {
        declarer.declare(new Fields("word", "count"));
    }
}
