"""The seed's SentenceSplitterBolt (streamparse docs, section 1.5) on pystorm 3.1.4.

Only change from the seed: pystorm 3.x has no ``emit_many`` (removed in 3.0), so the
words are emitted one ``emit`` at a time, which is what ``emit_many`` did.
"""
import re

from pystorm import Bolt


class SentenceSplitterBolt(Bolt):

    def process(self, tup):
        sentence = tup.values[0]  # extract the sentence
        sentence = re.sub(r"[.,!\\?]", "", sentence)  # get rid of punctuation
        words = [[word.strip()] for word in sentence.split(" ") if word.strip()]
        if not words:
            # no words to process in the sentence, fail the tuple
            self.fail(tup)
            return

        for word in words:
            self.emit(word)
        # tuple acknowledgement is handled automatically


if __name__ == "__main__":
    SentenceSplitterBolt().run()
