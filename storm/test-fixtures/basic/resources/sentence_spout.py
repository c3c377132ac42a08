"""Finite reliable spout: emits each sentence once (replays on fail), then stays idle."""
import probe  # noqa: F401  (patches storm.sendpid first)
import storm

SENTENCES = [
    "the cow jumped over the moon",
    "an apple a day keeps the doctor away",
    "four score and seven years ago",
    "snow white and the seven dwarfs",
    "i am at two with nature",
]
REPEAT = 10  # 50 sentences in all


class SentenceSpout(storm.Spout):
    def initialize(self, conf, context):
        probe.hello(conf, context)
        self.queue = [("s-%d" % i, SENTENCES[i % len(SENTENCES)]) for i in range(len(SENTENCES) * REPEAT)]
        self.pending = {}

    def nextTuple(self):
        if self.queue:
            msg_id, sentence = self.queue.pop(0)
            self.pending[msg_id] = sentence
            storm.emit([sentence], id=msg_id)
            probe.record("emit", id=msg_id)

    def ack(self, msg_id):
        self.pending.pop(msg_id, None)
        probe.record("ack", id=msg_id)

    def fail(self, msg_id):
        probe.record("fail", id=msg_id)
        if msg_id in self.pending:
            self.queue.append((msg_id, self.pending[msg_id]))


SentenceSpout().run()
