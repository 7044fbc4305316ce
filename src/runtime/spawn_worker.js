// Pool threads as Web Workers. This one module plays two roles:
// - on the page, `spawnWorker` starts a module Worker running THIS file;
// - inside that Worker, the listener below loads the app's wasm module on the page's
//   shared memory and runs one rayon thread until its pool is dropped.
// Written as one file so the Worker's URL is simply our own `import.meta.url`
// (same origin, so no blob: URL and no CSP exception for it).

const INIT = 'cp_pool_thread_init';
const READY = 'cp_pool_thread_ready';
const EXIT = 'cp_pool_thread_exit';
const TRAPPED = 'cp_pool_thread_trapped';

export function spawnWorker(module, memory, builderPtr, mainJs, name, onEvent) {
  const worker = new Worker(new URL(import.meta.url), { type: 'module', name });
  worker.addEventListener('message', ({ data }) => {
    if (data?.type === READY) onEvent('ready', '');
    if (data?.type === EXIT) onEvent('exit', '');
    if (data?.type === TRAPPED) {
      onEvent('error', String(data.message || 'the worker trapped'));
      onEvent('exit', '');
    }
  });
  // A trap (a panic under panic=abort, running out of memory) surfaces here; the
  // runtime reports it instead of leaving the page hanging.
  worker.addEventListener('error', (e) => {
    onEvent('error', String(e.message || 'the worker stopped with an error'));
  });
  worker.postMessage({ type: INIT, module, memory, builderPtr, mainJs });
  return worker;
}

const inWorker = typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope;
if (inWorker) {
  self.addEventListener('message', async ({ data }) => {
    if (data?.type !== INIT) return;
    const pkg = await import(data.mainJs);
    const wasm = pkg.initSync({ module: data.module, memory: data.memory });
    postMessage({ type: READY });
    // Returns when the rayon pool this thread belongs to is dropped, or throws when the
    // thread traps (a trap inside an async listener would only be an unhandled rejection,
    // which never reaches the page's 'error' listener: report it ourselves).
    try {
      pkg.cp_run_pool_thread(data.builderPtr);
    } catch (e) {
      postMessage({ type: TRAPPED, message: `${e?.name || 'Error'}: ${e?.message || e}` });
      close();
      return;
    }
    // Free this thread's stack and TLS in the shared memory, or every dropped pool
    // would leak them for the life of the page.
    if (wasm && typeof wasm.__wbindgen_thread_destroy === 'function') {
      wasm.__wbindgen_thread_destroy();
    }
    postMessage({ type: EXIT });
    close();
  });
}
