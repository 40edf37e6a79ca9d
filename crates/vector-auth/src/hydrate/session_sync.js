// Cross-tab refresh lock for the auth client (src/auth/hydrate/mod.rs). web-sys only exposes the Web Locks API
// behind an unstable cfg, so this one call lives in JavaScript.

// Runs `task` (a function returning a Promise) while holding the named lock, so only one tab refreshes at a
// time. Waiting for the lock gives up after `timeoutMs` (a tab stuck mid-refresh must not block the others)
// and then runs the task anyway. Browsers without Web Locks, and frames denied them (a third-party iframe where
// the browser blocks third-party storage: SecurityError), run it at once: the server accepts a refresh token
// presented twice within its grace period, so the lock only saves requests.
export function withLock(name, timeoutMs, task) {
  if (!navigator.locks) {
    return task();
  }
  let started = false;
  const run = () => {
    started = true;
    return task();
  };
  return navigator.locks.request(name, { signal: timeoutSignal(timeoutMs) }, run).catch((error) => {
    if (!started) {
      return task();
    }
    throw error;
  });
}

// AbortSignal.timeout, where the browser has it; an AbortController on a timer elsewhere (older Safari).
function timeoutSignal(ms) {
  if (typeof AbortSignal.timeout === "function") {
    return AbortSignal.timeout(ms);
  }
  const controller = new AbortController();
  setTimeout(() => controller.abort(new DOMException("The lock was not granted in time.", "TimeoutError")), ms);
  return controller.signal;
}
