"""Pass-through bolt: emit each input's values unchanged (auto-anchored), then auto-ack."""
from pystorm import Bolt


class PassthroughBolt(Bolt):

    def process(self, tup):
        self.emit(tup.values)


if __name__ == "__main__":
    PassthroughBolt().run()
