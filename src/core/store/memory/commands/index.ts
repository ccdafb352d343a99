import type { Handler } from '../values.js';
import { COLLECTION_COMMANDS } from './collections.js';
import { KEY_COMMANDS } from './keys.js';
import { SORTED_SET_COMMANDS } from './sorted-sets.js';
import { STRING_COMMANDS } from './strings.js';

/** Every command the memory engine interprets, by name. */
export const COMMANDS: Readonly<Record<string, Handler>> = {
  ...KEY_COMMANDS,
  ...STRING_COMMANDS,
  ...COLLECTION_COMMANDS,
  ...SORTED_SET_COMMANDS,
};
