export type { Bus, BusMessage, Outgoing, SubscribeOptions, Subscription } from './types.js';
export { KafkaBus, type KafkaBusOptions } from './kafka-bus.js';
export { MemoryBroker, MemoryBus } from './memory-bus.js';
export { connectBus, kafkaBrokerList } from './connect.js';
