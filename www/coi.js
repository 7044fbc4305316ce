// Cross-origin isolation for hosts that cannot send headers: registers static/coi-sw.js,
// which adds COOP/COEP/CORP to every response, then reloads once so the page is served
// through it. It does nothing when the page is already isolated (the host sends the
// headers, see static/_headers), when service workers are unavailable, or when not asked:
//   - per link: add `coi=1` to the URL (`?coi=1` or inside the hash, `#/examples/x?coi=1`);
//   - for the whole site: set data-coi="always" on this script's tag in www/index.html.
// Opt-in is the default because a page inside a plain course page's iframe cannot become
// isolated anyway (isolation needs every frame up to the top), and the recorded-run
// fallback should show there without a useless reload.
(function () {
  const script = document.currentScript;
  const always = script && script.dataset.coi === 'always';
  const asked = /[?&]coi=1\b/.test(location.search + location.hash);
  if (window.crossOriginIsolated || !(always || asked)) return;
  if (!window.isSecureContext || !('serviceWorker' in navigator)) return;
  const reloadedKey = 'coi-reloaded';
  navigator.serviceWorker.register('coi-sw.js').then((registration) => {
    // Reload at most once per tab session: if the page is still not isolated after that
    // (an unisolated parent frame, say), the page carries on with the fallback.
    const reloadOnce = () => {
      if (sessionStorage.getItem(reloadedKey)) return;
      sessionStorage.setItem(reloadedKey, '1');
      location.reload();
    };
    if (navigator.serviceWorker.controller) reloadOnce();
    else navigator.serviceWorker.addEventListener('controllerchange', reloadOnce);
    return registration;
  }).catch((e) => console.warn('coi: the service worker did not register:', e));
})();
