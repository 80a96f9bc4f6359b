/**
 * Runnel's reactive client: {@link dev.runnel.client.Producer} (a {@code send} that answers with partition and
 * offset, and a batching {@code flow}/{@code plainSink}) and {@link dev.runnel.client.Consumer#plainSource}, a
 * source backpressured end to end over the network. Consumer groups:
 * {@link dev.runnel.client.Consumer#committableSource} and {@link dev.runnel.client.Consumer#partitionedSource}
 * read the partitions the broker's coordinator assigns, {@link dev.runnel.client.Committer} commits their offsets
 * in batches, and {@link dev.runnel.client.Control#drainAndShutdown} commits everything emitted before the member
 * leaves. All speak the native streaming protocol over a WebSocket to the broker's {@code /stream} endpoint
 * (described in {@code dev.runnel.client.internal}), reconnect with exponential backoff when the connection drops
 * (the group sources fail instead), and take their settings from {@code runnel.client} in {@code reference.conf}.
 *
 * <pre>{@code
 * ProducerSettings producerSettings = ProducerSettings.create(system).withBootstrap("ws://127.0.0.1:8080");
 * Source.range(1, 1000)
 *     .map(i -> ProducerRecord.of("orders", ("key-" + i).getBytes(UTF_8), ("order " + i).getBytes(UTF_8)))
 *     .via(Producer.flow(producerSettings))
 *     .runForeach(metadata -> log.info("stored at {}-{}@{}", metadata.topic(), metadata.partition(),
 *         metadata.offset()), system);
 *
 * ConsumerSettings consumerSettings = ConsumerSettings.create(system).withBootstrap("ws://127.0.0.1:8080");
 * Control control = Consumer.plainSource(consumerSettings, Subscription.earliest("orders", 0, 1, 2))
 *     .to(Sink.foreach(record -> handle(record)))
 *     .run(system);
 *
 * Pair<Control, CompletionStage<Done>> member =
 *     Consumer.committableSource(consumerSettings, "billing", Set.of("orders"))
 *         .map(message -> { handle(message.record()); return message.committableOffset(); })
 *         .toMat(Committer.sink(CommitterSettings.create(system)), Keep.both())
 *         .run(system);
 * member.first().drainAndShutdown(member.second());
 * }</pre>
 */
package dev.runnel.client;
