import probe  # noqa: F401
import storm


class SplitBolt(storm.BasicBolt):
    def initialize(self, conf, context):
        probe.hello(conf, context)

    def process(self, tup):
        for word in tup.values[0].split():
            storm.emit([word])


SplitBolt().run()
