;; The word count topology with Rust components from plugins/wordcount.
;; `topologies/wordcount.yaml` is the same topology in Flux YAML.
(ns wordcount
  (:use [streamparse.specs])
  (:gen-class))

(defn wordcount [options]
  [
    ;; spout configuration
    {"sentence-spout" (rust-spout-spec
                        options
                        "wordcount::SentenceSpout"
                        ["sentence"])}
    ;; bolt configuration
    {"sentence-splitter" (rust-bolt-spec
                           options
                           {"sentence-spout" :shuffle}
                           "wordcount::SentenceSplitter"
                           ["word"]
                           :p 2)
     "word-counter" (rust-bolt-spec
                      options
                      ;; the same word always goes to the same counter task
                      {"sentence-splitter" ["word"]}
                      "wordcount::WordCounter"
                      ["word" "count"]
                      :p 2)}
  ]
)
