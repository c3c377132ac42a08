;; Word count over a Kafka topic: storm-kafka-client's KafkaSpout (a JVM spout) reads
;; sentences from the topic `sentences`, the Rust splitter and counter from plugins/wordcount
;; count the words. At least once: the spout commits a record's offset only once the tuple
;; tree of that record is acked (KafkaSpoutConfig's default processing guarantee).
;; `topologies/kafka_wordcount.yaml` is the same topology in Flux YAML.
;;
;; Needs the JVM dependencies of config.json ("jvm_dependencies") and a broker: see the
;; README, "Reading from Kafka".
(ns kafka_wordcount
  (:use [streamparse.specs])
  (:gen-class))

;; KafkaSpoutConfig$Builder(bootstrapServers, topics...), then the consumer settings.
(jvm-object "kafka-config-builder"
  {:class "org.apache.storm.kafka.spout.KafkaSpoutConfig$Builder"
   :args ["127.0.0.1:9092" ["sentences"]]
   :properties {"firstPollOffsetStrategy" "UNCOMMITTED_EARLIEST"}
   :config-methods [["setProp" "group.id" "kafka-wordcount"]
                    ["setProp" "key.deserializer" "org.apache.kafka.common.serialization.StringDeserializer"]
                    ["setProp" "value.deserializer" "org.apache.kafka.common.serialization.StringDeserializer"]
                    ["setOffsetCommitPeriodMs" 1000]]})

(jvm-object "kafka-config"
  {:class "org.apache.storm.kafka.spout.KafkaSpoutConfig"
   :args [(ref "kafka-config-builder")]})

(defn kafka_wordcount [options]
  [
    ;; The spout emits DefaultRecordTranslator's fields on the default stream.
    {"kafka-spout" (jvm-spout-spec
                     {:class "org.apache.storm.kafka.spout.KafkaSpout"
                      :args [(ref "kafka-config")]}
                     ["topic" "partition" "offset" "key" "value"])}
    {"sentence-splitter" (rust-bolt-spec
                           options
                           {"kafka-spout" :shuffle}
                           "wordcount::SentenceSplitter"
                           ["word"]
                           ;; the sentence is the record's value, the 5th field
                           :conf {"wordcount.sentence.index" 4}
                           :p 2)
     "word-counter" (rust-bolt-spec
                      options
                      {"sentence-splitter" ["word"]}
                      "wordcount::WordCounter"
                      ["word" "count"]
                      :p 2)}
  ]
)
