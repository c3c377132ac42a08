"""Word counter for the Python variant of storm/bench-wordcount.sh, on pystorm 3.1.4.

Same behaviour as ``wordcount::WordCounter`` (plugins/wordcount): count each word, emit
``[word, count]`` (auto-anchored, auto-acked), and every 1000 words log
``counted N words, M distinct``. The log line is shaped as sparse-host's
(``2026-01-02T03:04:05.678Z INFO ...``, UTC) so the bench reads all variants' task logs
with one parser; pystorm writes it to ``pystorm.log.path`` (set by the bench's YAML).
"""
import logging
import time

from pystorm import Bolt


class WordCounter(Bolt):

    def initialize(self, storm_conf, context):
        self.counts = {}
        self.total = 0
        stamp = logging.Formatter(
            "%(asctime)s.%(msecs)03dZ %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S")
        stamp.converter = time.gmtime
        for handler in logging.getLogger().handlers:
            handler.setFormatter(stamp)

    def process(self, tup):
        word = tup.values[0]
        count = self.counts.get(word, 0) + 1
        self.counts[word] = count
        self.total += 1
        if self.total % 1000 == 0:
            self.logger.info("counted %d words, %d distinct", self.total, len(self.counts))
        self.emit([word, count])


if __name__ == "__main__":
    WordCounter().run()
