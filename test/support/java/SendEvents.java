import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends records with Apache Kafka's own Java client, as a producer nobody here wrote would: the integration tests'
 * check that the worker reads what the reference client writes (test/support/java-producer.ts builds the plan).
 *
 * The plan comes on stdin, one instruction a line, fields separated by tabs:
 *   set     NAME VALUE                                    a producer setting (only before the first send)
 *   begin | commit | abort                                a transaction (needs transactional.id); abort flushes first,
 *                                                         so the aborted records are in the log
 *   flush                                                 waits until every record so far is acknowledged
 *   send    TOPIC PARTITION KEY VALUE [HNAME HVALUE]...   PARTITION: a number, or - for the client's partitioner
 * KEY, VALUE and HVALUE are "null", "t:" and UTF-8 text, or "b:" and base64. Each acknowledged record is printed as
 * "sent TOPIC PARTITION OFFSET", in plan order. Any failure ends the program with exit code 1 and one line on stderr.
 */
public final class SendEvents {
  private final Properties settings = new Properties();
  private final List<Future<RecordMetadata>> pending = new ArrayList<>();
  private KafkaProducer<byte[], byte[]> producer;
  private boolean inTransaction;

  public static void main(String[] args) {
    try {
      new SendEvents().run(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
    } catch (Exception error) {
      Throwable cause = error instanceof ExecutionException && error.getCause() != null ? error.getCause() : error;
      System.err.println("SendEvents failed: " + cause.getClass().getName() + ": " + cause.getMessage());
      System.exit(1);
    }
    System.exit(0);
  }

  private SendEvents() {
    settings.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    settings.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    // Fail within seconds, not the client's minutes, when the broker is away or refuses.
    settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
    settings.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    settings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
  }

  private void run(BufferedReader plan) throws Exception {
    int number = 0;
    for (String line = plan.readLine(); line != null; line = plan.readLine()) {
      number++;
      if (line.isEmpty()) continue;
      try {
        execute(line.split("\t", -1));
      } catch (IllegalArgumentException error) {
        throw new IllegalArgumentException("plan line " + number + ": " + error.getMessage(), error);
      }
    }
    if (inTransaction) throw new IllegalStateException("the plan ended inside a transaction (no commit or abort)");
    producer().flush();
    awaitPending();
    producer().close(Duration.ofSeconds(10));
  }

  private void execute(String[] fields) throws Exception {
    switch (fields[0]) {
      case "set" -> {
        if (producer != null) throw new IllegalArgumentException("set after the first send");
        expect(fields, 3);
        settings.put(fields[1], fields[2]);
      }
      case "begin" -> {
        producer().beginTransaction();
        inTransaction = true;
      }
      case "commit" -> {
        producer().commitTransaction();
        awaitPending();
        inTransaction = false;
      }
      case "abort" -> {
        producer().flush();
        awaitPending();
        producer().abortTransaction();
        inTransaction = false;
      }
      case "flush" -> {
        producer().flush();
        awaitPending();
      }
      case "send" -> send(fields);
      default -> throw new IllegalArgumentException("unknown instruction " + fields[0]);
    }
  }

  private void send(String[] fields) {
    if (fields.length < 5 || fields.length % 2 == 0) {
      throw new IllegalArgumentException("send wants TOPIC PARTITION KEY VALUE and name/value pairs, got " + fields.length + " fields");
    }
    Integer partition = fields[2].equals("-") ? null : Integer.valueOf(fields[2]);
    RecordHeaders headers = new RecordHeaders();
    // Added one by one, so a name may repeat and a value may be null.
    for (int i = 5; i < fields.length; i += 2) headers.add(fields[i], bytes(fields[i + 1]));
    pending.add(producer().send(new ProducerRecord<>(fields[1], partition, bytes(fields[3]), bytes(fields[4]), headers)));
  }

  private void awaitPending() throws Exception {
    for (Future<RecordMetadata> future : pending) {
      RecordMetadata sent = future.get();
      System.out.println("sent\t" + sent.topic() + "\t" + sent.partition() + "\t" + sent.offset());
    }
    pending.clear();
  }

  /** The producer, made at the first instruction that needs one, once every setting is known. */
  private KafkaProducer<byte[], byte[]> producer() {
    if (producer == null) {
      producer = new KafkaProducer<>(settings);
      if (settings.containsKey(ProducerConfig.TRANSACTIONAL_ID_CONFIG)) producer.initTransactions();
    }
    return producer;
  }

  private static byte[] bytes(String field) {
    if (field.equals("null")) return null;
    if (field.startsWith("t:")) return field.substring(2).getBytes(StandardCharsets.UTF_8);
    if (field.startsWith("b:")) return Base64.getDecoder().decode(field.substring(2));
    throw new IllegalArgumentException("a value is null, t:TEXT or b:BASE64, got " + field);
  }

  private static void expect(String[] fields, int count) {
    if (fields.length != count) throw new IllegalArgumentException(fields[0] + " wants " + (count - 1) + " fields, got " + (fields.length - 1));
  }
}
