"""Spout written as the seed shows: one reliable emit per next_tuple (ids 0, 1, 2, ...),
values cycling through the seed's four sentences; ack forgets the id, fail re-emits it."""
from pystorm import Spout

SENTENCES = [
    "She advised him to take a long holiday, so he immediately quit work and took a trip around the world",
    "I was very glad to get a present from her",
    "He will be here in half an hour",
    "She saw him eating a sandwich",
]


class CountingSpout(Spout):

    def initialize(self, stormconf, context):
        self.next_id = 0
        self.in_flight = {}

    def next_tuple(self):
        tup_id = self.next_id
        self.next_id += 1
        index = tup_id % len(SENTENCES)
        self.in_flight[tup_id] = index
        self.emit([SENTENCES[index]], tup_id=tup_id)

    def ack(self, tup_id):
        self.in_flight.pop(tup_id, None)

    def fail(self, tup_id):
        index = self.in_flight.get(tup_id)
        if index is not None:
            self.emit([SENTENCES[index]], tup_id=tup_id)


if __name__ == "__main__":
    CountingSpout().run()
