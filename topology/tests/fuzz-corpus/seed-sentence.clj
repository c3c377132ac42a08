(ns sentences
  (:use [streamparse.specs])
  (:gen-class))

(defn sentences [options]
  [
    { "sentence-spout-1" (python-spout-spec
        ;; topology options passed in
        options
        ;; name of the python class to ``run``
        "spouts.SentenceSpout"
        ;; output specification, what named fields will this spout emit?
        ["sentence"]
        ;; configuration parameters, can specify multiple
        :p 2)
      "sentence-spout-2" (python-spout-spec
        options
        "spouts.OtherSentenceSpout"
        ["sentence"])}
    { "sentence-splitter" (python-bolt-spec
        ;; topology options passed in
        options
        ;; inputs, where does this bolt receive it's tuples from?
        { "sentence-spout-1" :shuffle
          "sentence-spout-2" :shuffle}
        ;; class to run
        "bolts.SentenceSplitter"
        ;; output spec, what tuples does this bolt emit?
        ["word"]
        ;; configuration parameters
        :p 2)
      "word-counter" (python-bolt-spec
        options
        ;; receives tuples from "sentence-splitter", grouped by word
        { "sentence-splitter" ["word"] }
        "bolts.WordCounter"
        ["word" "count"])
      "word-count-saver" (python-bolt-spec
        ;; topology options passed in
        options
        { "word-counter" :shuffle }
        "bolts.WordSaver"
        ;; does not emit any fields
        []) }
  ]
)
