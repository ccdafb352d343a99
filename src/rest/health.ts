export type NodeHealth = 'GREEN' | 'YELLOW' | 'RED';

/** The index answer (no envelope), keys in the order Flask's `jsonify` wrote them. */
export interface IndexBody {
  kafka_connected: boolean;
  my_id: string;
  node_health: NodeHealth;
  redis_connected: boolean;
  uptime_sec: number;
}

/** GREEN with both Kafka and Redis, YELLOW with exactly one, RED with neither. */
export function nodeHealth(kafka: boolean, redis: boolean): NodeHealth {
  if (kafka && redis) return 'GREEN';
  return kafka || redis ? 'YELLOW' : 'RED';
}

export function indexBody(state: {
  kafka: boolean;
  redis: boolean;
  myId: string;
  startedAt: number;
  now?: number;
}): IndexBody {
  return {
    kafka_connected: state.kafka,
    my_id: state.myId,
    node_health: nodeHealth(state.kafka, state.redis),
    redis_connected: state.redis,
    uptime_sec: Math.floor(((state.now ?? Date.now()) - state.startedAt) / 1000),
  };
}
