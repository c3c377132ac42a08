"""Emits 20 numbers on the default stream (reliable); with SPARSE_SPOUT_DIRECT=1 it emits them
directly (numeric "task") to the sink's tasks on stream "direct" instead."""
import os

import probe
import storm

TASK_OFFSET = int(os.environ.get("SPARSE_TASK_OFFSET", "0"))  # see router_bolt.py


class NumberSpout(storm.Spout):
    def initialize(self, conf, context):
        probe.hello(conf, context)
        self.n = 0
        self.direct = os.environ.get("SPARSE_SPOUT_DIRECT") == "1"
        self.sinks = sorted(int(t) for t, c in context["task->component"].items() if c == "sink")

    def nextTuple(self):
        if self.n < 20:
            self.n += 1
            if self.direct:
                task = self.sinks[self.n % len(self.sinks)]
                probe.record("emit_direct", n=self.n, task=task)
                storm.emitDirect(task + TASK_OFFSET, [self.n], stream="direct", id="n-%d" % self.n)
            else:
                storm.emit([self.n], id="n-%d" % self.n)
                probe.record("emit", n=self.n)

    def ack(self, msg_id):
        probe.record("ack", id=msg_id)

    def fail(self, msg_id):
        probe.record("fail", id=msg_id)


NumberSpout().run()
