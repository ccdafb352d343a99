import { defineScript } from '../store/script.js';

export const lockAcquire = defineScript({
  name: 'lock-acquire',
  numKeys: 1,
  file: new URL('./acquire.lua', import.meta.url),
  memory: (call, [key], [owner, ttlMs]) => (call('SET', key!, owner!, 'NX', 'PX', ttlMs!) === 'OK' ? 1 : 0),
});

export const lockRenew = defineScript({
  name: 'lock-renew',
  numKeys: 1,
  file: new URL('./renew.lua', import.meta.url),
  memory: (call, [key], [owner, ttlMs]) => {
    if (call('GET', key!) !== owner) return 0;
    call('PEXPIRE', key!, ttlMs!);
    return 1;
  },
});

export const lockRelease = defineScript({
  name: 'lock-release',
  numKeys: 2,
  file: new URL('./release.lua', import.meta.url),
  memory: (call, [key, signal], [owner]) => {
    if (call('GET', key!) !== owner) return 0;
    call('DEL', key!, signal!);
    return 1;
  },
});
