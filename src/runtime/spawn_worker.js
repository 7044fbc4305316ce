// Pool threads as Web Workers. This one module plays two roles:
// - on the page, `spawnWorker` starts a module Worker running THIS file;
// - inside that Worker, the listener below loads the app's wasm module on the page's
//   shared memory and runs one rayon thread until its pool is dropped.
// Written as one file so the Worker's URL is simply our own `import.meta.url`
// (same origin, so no blob: URL and no CSP exception for it). It also holds the runtime's
// one other JS helper, `callGuarded`, because every Worker loads this module anyway.

const INIT = 'cp_pool_thread_init';
// Sent by the page (www/index.html) to Workers it starts before the module has arrived:
// they import the app's JS glue at once, so an INIT finds it compiled.
const WARM = 'cp_pool_thread_warm';
const READY = 'cp_pool_thread_ready';
const EXIT = 'cp_pool_thread_exit';
const TRAPPED = 'cp_pool_thread_trapped';

// The Origin Private File System folder where each pool Worker keeps its scratch file.
const SCRATCH_DIR = 'concurrency-playground-scratch';

export function spawnWorker(module, memory, builderPtr, mainJs, name, scratch, onEvent) {
  // A Worker the page started early, if one is left (see www/index.html).
  const warm = globalThis.__cpWarmWorkers;
  const worker = (warm && warm.pop()) || new Worker(new URL(import.meta.url), { type: 'module', name });
  worker.addEventListener('message', ({ data }) => {
    if (data?.type === READY) onEvent('ready', data.scratch ? 'scratch' : '');
    if (data?.type === EXIT) onEvent('exit', data.scratch ? 'scratch' : '');
    if (data?.type === TRAPPED) {
      onEvent('error', String(data.message || 'the worker trapped'));
      onEvent('exit', data.scratch ? 'scratch' : '');
    }
  });
  // A trap (a panic under panic=abort, running out of memory) surfaces here; the
  // runtime reports it instead of leaving the page hanging.
  worker.addEventListener('error', (e) => {
    onEvent('error', String(e.message || 'the worker stopped with an error'));
  });
  worker.postMessage({ type: INIT, module, memory, builderPtr, mainJs, scratch, name });
  return worker;
}

// Calls `f` (a Rust closure) and returns the message of what it throws, or undefined.
// The page's session actions run through this (src/runtime/session.rs, `act`), so an
// exception the browser throws inside one ends here instead of unwinding past Rust code
// that still holds the session.
export function callGuarded(f) {
  try {
    f();
  } catch (e) {
    return String((e && e.message) || e);
  }
  return undefined;
}

// Remove scratch files that Workers of earlier pages left behind (a closed tab, a trap).
// Files still open by a live Worker are locked and refuse removal, which is what we want.
// Best-effort: resolves to how many it removed, or -1 where the page has no OPFS at all;
// never rejects.
export async function sweepScratch() {
  let removed = 0;
  try {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle(SCRATCH_DIR, { create: true });
    for await (const name of dir.keys()) {
      try {
        await dir.removeEntry(name);
        removed += 1;
      } catch {
        // In use by a live Worker (of this page or another tab).
      }
    }
  } catch {
    // No OPFS here (an opaque origin, private mode in some browsers, an old browser).
    return -1;
  }
  return removed;
}

// Inside a Worker: open this Worker's own scratch file and its synchronous access handle,
// which only a dedicated Worker may hold and only the Worker that opened it may use.
// Opening is asynchronous, so it happens here, before the Worker blocks in its rayon loop
// for good; the engine then does synchronous I/O through `self.__cpScratch`.
// Resolves to null where OPFS is missing or refuses.
async function openScratch(workerName) {
  try {
    if (typeof FileSystemSyncAccessHandle === 'undefined' || !navigator.storage?.getDirectory) return null;
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle(SCRATCH_DIR, { create: true });
    const unique = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const name = `${workerName.replace(/[^A-Za-z0-9-]+/g, '_')}-${unique}`;
    const file = await dir.getFileHandle(name, { create: true });
    const handle = await file.createSyncAccessHandle();
    return { dir, name, handle };
  } catch {
    return null;
  }
}

// Close the handle and delete the file (best-effort: the Worker is about to close anyway).
async function closeScratch(scratch) {
  if (!scratch) return;
  try {
    scratch.handle.close();
    await scratch.dir.removeEntry(scratch.name);
  } catch {
    // Left for the next page's sweep.
  }
}

const inWorker = typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope;
if (inWorker) {
  let glue = null;
  self.addEventListener('message', async ({ data }) => {
    if (data?.type === WARM && !glue) {
      glue = import(data.mainJs);
      glue.catch(() => {}); // INIT imports again and reports the error
      return;
    }
    if (data?.type !== INIT) return;
    // The scratch file opens while the module loads, so it adds little to start-up.
    const [pkg, scratch] = await Promise.all([
      (glue || Promise.reject()).catch(() => import(data.mainJs)),
      data.scratch ? openScratch(data.name || self.name || 'worker') : null,
    ]);
    self.__cpScratch = scratch ? scratch.handle : undefined;
    const wasm = pkg.initSync({ module: data.module, memory: data.memory });
    postMessage({ type: READY, scratch: !!scratch });
    // Returns when the rayon pool this thread belongs to is dropped, or throws when the
    // thread traps (a trap inside an async listener would only be an unhandled rejection,
    // which never reaches the page's 'error' listener: report it ourselves).
    try {
      pkg.cp_run_pool_thread(data.builderPtr);
    } catch (e) {
      self.__cpScratch = undefined;
      await closeScratch(scratch);
      postMessage({ type: TRAPPED, message: `${e?.name || 'Error'}: ${e?.message || e}`, scratch: !!scratch });
      close();
      return;
    }
    // Free this thread's stack and TLS in the shared memory, or every dropped pool
    // would leak them for the life of the page.
    if (wasm && typeof wasm.__wbindgen_thread_destroy === 'function') {
      wasm.__wbindgen_thread_destroy();
    }
    self.__cpScratch = undefined;
    await closeScratch(scratch);
    postMessage({ type: EXIT, scratch: !!scratch });
    close();
  });
}
