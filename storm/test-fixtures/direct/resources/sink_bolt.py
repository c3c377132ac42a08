import probe
import storm


class SinkBolt(storm.Bolt):
    def initialize(self, conf, context):
        probe.hello(conf, context)
        self.task = context["taskid"]

    def process(self, tup):
        probe.record("got", n=tup.values[0], my_task=self.task, src=tup.component, stream=tup.stream)
        storm.ack(tup)


SinkBolt().run()
