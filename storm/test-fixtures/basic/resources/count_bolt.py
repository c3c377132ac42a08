"""Counts words; records every count and every heartbeat-free idle period from outside the JVM.
Also sends one `log` command per level (0..4, plus an invalid 7) to check Storm's log levels."""
import collections

import probe
import storm


class CountBolt(storm.Bolt):
    def initialize(self, conf, context):
        probe.hello(conf, context)
        self.counts = collections.Counter()
        for level in (0, 1, 2, 3, 4, 7):
            storm.log("level-probe level=%d" % level, level)

    def process(self, tup):
        word = tup.values[0]
        self.counts[word] += 1
        probe.record("count", word=word, n=self.counts[word])
        storm.ack(tup)


CountBolt().run()
