"""Sends every number to one sink task chosen by the number, with a direct emit: the JSON carries
"task": <int>, which is what the Integer/Long question is about."""
import os

import probe
import storm

# SPARSE_TASK_OFFSET=4294967296 sends task + 2**32: json-smart then yields a Long, and Storm's
# (int) cast of ShellMsg.getTask() truncates it back to the task id (workaround under test).
TASK_OFFSET = int(os.environ.get("SPARSE_TASK_OFFSET", "0"))


class RouterBolt(storm.Bolt):
    def initialize(self, conf, context):
        probe.hello(conf, context)
        self.sinks = sorted(int(t) for t, c in context["task->component"].items() if c == "sink")
        probe.record("sinks", tasks=self.sinks)

    def process(self, tup):
        n = tup.values[0]
        task = self.sinks[n % len(self.sinks)]
        probe.record("emit_direct", n=n, task=task)
        storm.emitDirect(task + TASK_OFFSET, [n], stream="direct", anchors=[tup])
        storm.ack(tup)


RouterBolt().run()
