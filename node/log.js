'use strict';
// The C core's events (docs/logging.md) for JavaScript:
//
//   iamcore.setLogHook((event) => { ... });  // this thread's hook; null removes it
//   NODE_DEBUG=iamcore node app.js           // every event on stderr (util.debuglog)
//
// An event is a plain object { level, event, time, ...fields }: level 'debug' |
// 'info' | 'warning' | 'error', event its stable name ('token_fetched', 'retry',
// ...), time in ms since the epoch, and the fields with camelCase names
// (authType, durationMs, ...). No event holds a secret.
//
// Events happen on fetch and background refresh threads; the addon
// queues them to this thread's event loop (a threadsafe function that never keeps
// the process alive), so the hook runs later, on this thread. Each
// worker_thread has its own hook and sees the events of the whole process. A hook
// that throws is reported with process.emitWarning and stays set.

const util = require('node:util');

module.exports = function createLog({ addon, IamcoreError, ErrorCodes }) {
  const debug = util.debuglog('iamcore');
  let hook = null;
  let listening = false;

  function dispatch(event, line) {
    if (debug.enabled) debug('%s %s', event.level, line);
    const fn = hook;
    if (fn === null) return;
    try {
      fn(event);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      process.emitWarning(`the iamcore log hook threw: ${why}`, { code: 'IAMCORE_LOG_HOOK' });
    }
  }

  // Ask the addon for events only while someone reads them.
  function sync() {
    const want = hook !== null || debug.enabled;
    if (want === listening) return;
    addon.setLogCallback(want ? dispatch : null);
    listening = want;
  }

  /**
   * Receive every iamcore event of the process on this thread: `hook(event)`,
   * called asynchronously. `null` (or undefined) removes the hook. Throws an
   * IamcoreError with code IAMCORE_CONFIG for anything else.
   */
  function setLogHook(fn) {
    if (fn === undefined) fn = null;
    if (fn !== null && typeof fn !== 'function') {
      throw new IamcoreError('setLogHook(hook): hook must be a function or null', ErrorCodes.CONFIG);
    }
    hook = fn;
    sync();
  }

  sync(); // NODE_DEBUG=iamcore
  return { setLogHook };
};
