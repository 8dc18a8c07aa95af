// The victims' self-submission page (/submit, issue 16). Pictures and
// videos are hashed on this device by the registration page's own code
// (register.js: hashwatchRegistration.hash, with the same wasm module and
// worker) and only their fingerprints are posted, with the case number,
// centre and PIN, to POST /api/submit. This page uploads nothing: a file
// this browser cannot hash is refused here, and never sent. The same
// case number and PIN withdraw the case (POST /api/submit/withdraw),
// which needs no hashing and works where the module is missing.
'use strict';
(() => {
  const form = document.getElementById('submit-form');
  const hw = globalThis.hashwatchRegistration;
  if (!form) return;
  const d = form.dataset;
  const out = document.getElementById('submit-result');

  function who() {
    return {
      centre: form.elements.centre.value,
      case: form.elements.case.value,
      pin: form.elements.pin.value,
    };
  }

  async function post(path, body) {
    const resp = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': d.csrf },
      body: JSON.stringify(body),
    });
    let j = {};
    try { j = await resp.json(); } catch { /* an empty or HTML answer */ }
    return { ok: resp.ok, j, status: d.failed };
  }

  function show(text, cls, rows) {
    out.hidden = false;
    out.textContent = '';
    const p = document.createElement('p');
    p.className = cls;
    p.id = 'submit-message';
    p.textContent = text;
    out.appendChild(p);
    if (rows && rows.length) {
      const table = document.createElement('table');
      table.id = 'submit-table';
      const head = table.createTHead().insertRow();
      [d.colFile, d.colPath].forEach((h) => {
        const th = document.createElement('th');
        th.textContent = h;
        head.appendChild(th);
      });
      const body = table.createTBody();
      rows.forEach((r) => {
        const tr = body.insertRow();
        tr.insertCell().textContent = r.name;
        const td = tr.insertCell();
        td.textContent = r.path;
        td.className = r.refused ? 'error' : 'path';
      });
      out.appendChild(table);
    }
    out.dataset.done = '1';
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!hw) return; // no hashing here: nothing can be submitted
    const files = [...form.elements.files.files];
    if (!files.length) return show(d.needFiles, 'error');
    const button = document.getElementById('submit-button');
    button.disabled = true;
    delete out.dataset.done;
    out.hidden = false;
    out.textContent = d.hashing;
    const rows = [];
    const sent = [];
    for (const f of files) {
      const r = await hw.hash(f);
      if (r.fingerprint) {
        rows.push({ name: f.name, path: d.hashed });
        sent.push({ name: f.name, fingerprint: r.fingerprint });
      } else {
        rows.push({ name: f.name, path: r.upload, refused: true });
      }
    }
    if (!sent.length) {
      button.disabled = false;
      return show(d.pathUploadWhy, 'error', rows);
    }
    const res = await post('/api/submit', { ...who(), files: sent });
    button.disabled = false;
    if (!res.ok) return show(res.j.error || res.status, 'error', rows);
    form.elements.files.value = '';
    return show(d.done.replace(/0/, String(res.j.registered)), 'done', rows);
  });

  document.getElementById('withdraw-button').addEventListener('click', async () => {
    if (!form.elements.case.value || !form.elements.pin.value) return form.reportValidity();
    delete out.dataset.done;
    const res = await post('/api/submit/withdraw', who());
    if (!res.ok) return show(res.j.error || res.status, 'error');
    return show(d.withdrawn.replace(/0/, String(res.j.fingerprints_deleted)), 'done');
  });
})();
