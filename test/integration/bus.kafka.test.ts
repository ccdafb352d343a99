import { KafkaBus, kafkaBrokerList } from '../../src/core/bus/index.js';
import { busContract } from '../contract/bus.contract.js';
import { servicesEnv } from '../support/services.js';

busContract(
  'kafka',
  async () => KafkaBus.connect({ brokers: kafkaBrokerList(servicesEnv().KAFKA_HOSTS) }),
  1500,
);
