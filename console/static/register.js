// The registration page's hashing in the browser (issue 16). Pictures, and
// videos this browser can play, are fingerprinted here with hashwatch's own
// Go hashing — and, for the formats the server reads, its own decoders —
// compiled to WebAssembly (/wasm/hashwatch.wasm, cmd/hashwasm, run in a
// worker: hashworker.js);
// only the fingerprints go to the server (POST /api/cases/fingerprints).
// Files the browser cannot open are uploaded to be hashed on the server, as
// the form does without this script. The page says which path each file
// took.
//
// The hashing half of this file is also the victims' self-submission
// page's (submit.js): it runs for whichever form carries data-wasm, and
// the registration half only for the registration form.
'use strict';
(() => {
  const form = document.querySelector('form[data-wasm]');
  if (!form) return;
  const d = form.dataset;
  const maxPixels = Number(d.maxPixels);
  const frameSize = Number(d.frameSize);
  const intervalMS = Number(d.intervalMs);

  // The hashing module runs in a worker (hashworker.js), started once, as
  // soon as the page is open; call sends it one job.
  let ready = null;
  let worker = null;
  let seq = 0;
  const waiting = new Map();
  function hasher() {
    if (!ready) {
      ready = new Promise((resolve, reject) => {
        worker = new Worker(d.worker);
        worker.onmessage = (ev) => {
          const m = ev.data;
          if (m.ready) return resolve();
          if (m.failed) return reject(new Error(m.failed));
          const w = waiting.get(m.id);
          waiting.delete(m.id);
          if (m.error) w.reject(new Error(m.error));
          else w.resolve(m.fingerprint);
        };
        worker.onerror = (e) => reject(new Error(e.message || 'the hashing module did not load'));
      });
    }
    return ready;
  }
  hasher().catch(() => {});
  async function call(job, transfer) {
    await hasher();
    return new Promise((resolve, reject) => {
      job.id = ++seq;
      waiting.set(job.id, { resolve, reject });
      worker.postMessage(job, transfer || []);
    });
  }

  // sniff names what a file is by its first bytes, as the server does:
  // 'file' for the formats the server's Go decoders read (JPEG, PNG, GIF,
  // WebP, BMP, TIFF), decoded here by the same code; 'video' for a video
  // a <video> element may play; 'animated-webp' for what the server
  // decodes with libwebp, which the module cannot host (uploaded); ''
  // for anything else, which this browser's own decoder may still read.
  async function sniff(file) {
    const b = new Uint8Array(await file.slice(0, 32).arrayBuffer());
    const at = (i, s) => [...s].every((c, k) => b[i + k] === c.charCodeAt(0));
    if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'file';
    if (at(0, '\x89PNG\r\n\x1a\n') || at(0, 'GIF87a') || at(0, 'GIF89a')) return 'file';
    if (at(0, 'II*\x00') || at(0, 'MM\x00*') || at(0, 'BM')) return 'file';
    if (at(0, 'RIFF') && at(8, 'WEBP')) {
      return at(12, 'VP8X') && (b[20] & 0x02) ? 'animated-webp' : 'file';
    }
    if (at(4, 'ftyp') || at(4, 'moov') || at(4, 'mdat') || at(4, 'free') || at(4, 'wide')) return 'video';
    if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'video';
    if (at(0, 'RIFF') && at(8, 'AVI ')) return 'video';
    return '';
  }

  // decoded fingerprints a file with the server's own decoders, compiled
  // into the module: the fingerprint a server-side registration of the
  // file would store, bit for bit (animated GIFs as videos).
  function decoded(file) {
    return call({ op: 'file', file });
  }

  // picture fingerprints a picture from its decoded pixels: EXIF
  // orientation applied, no colour management (the server's decoders
  // ignore colour profiles too), straight alpha.
  async function picture(file) {
    const bmp = await createImageBitmap(file, {
      imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none',
    });
    const w = bmp.width, h = bmp.height;
    if (w * h > maxPixels) {
      bmp.close();
      throw new Error(`${w}×${h} pixels, over the limit of ${maxPixels}`);
    }
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bmp, 0, 0);
    bmp.close();
    const px = ctx.getImageData(0, 0, w, h).data;
    c.width = c.height = 0;
    return call({ op: 'picture', pixels: px.buffer, width: w, height: h, file }, [px.buffer]);
  }

  function once(el, ok, bad) {
    return new Promise((resolve, reject) => {
      const done = (f) => (e) => { el.removeEventListener(ok, onOK); el.removeEventListener(bad, onBad); f(e); };
      const onOK = done(resolve);
      const onBad = done(() => reject(new Error('this browser cannot decode the video')));
      el.addEventListener(ok, onOK);
      el.addEventListener(bad, onBad);
    });
  }

  // video fingerprints a video from frames drawn from a <video> element at
  // the times the server samples (every intervalMS from the start),
  // squeezed to frameSize² grey as the server's ffmpeg does.
  async function video(file) {
    const v = document.createElement('video');
    v.muted = true;
    v.preload = 'auto';
    const url = URL.createObjectURL(file);
    try {
      v.src = url;
      await once(v, 'loadeddata', 'error');
      const dur = v.duration;
      if (!v.videoWidth || !v.videoHeight || !isFinite(dur) || dur <= 0) {
        throw new Error('this browser cannot decode the video');
      }
      if (v.videoWidth * v.videoHeight > maxPixels) {
        throw new Error(`${v.videoWidth}×${v.videoHeight} pixels, over the limit of ${maxPixels}`);
      }
      const c = document.createElement('canvas');
      c.width = c.height = frameSize;
      const ctx = c.getContext('2d', { willReadFrequently: true });
      ctx.imageSmoothingQuality = 'high';
      const n = frameSize * frameSize;
      const times = [];
      for (let t = 0; t < dur * 1000; t += intervalMS) times.push(t);
      const grey = new Uint8Array(times.length * n);
      for (let i = 0; i < times.length; i++) {
        v.currentTime = times[i] / 1000;
        await once(v, 'seeked', 'error');
        ctx.drawImage(v, 0, 0, frameSize, frameSize);
        const px = ctx.getImageData(0, 0, frameSize, frameSize).data;
        for (let k = 0; k < n; k++) {
          grey[i * n + k] = Math.floor((299 * px[4 * k] + 587 * px[4 * k + 1] + 114 * px[4 * k + 2] + 500) / 1000);
        }
      }
      return await call({
        op: 'frames', grey: grey.buffer, width: v.videoWidth, height: v.videoHeight, times, duration: Math.round(dur * 1000), file,
      }, [grey.buffer]);
    } finally {
      v.removeAttribute('src');
      v.load();
      URL.revokeObjectURL(url);
    }
  }

  // hash fingerprints one file here, or says why it must be uploaded.
  // A file the server's decoders read is decoded by them; a video by this
  // browser's <video> element; anything else by this browser's picture
  // decoder (an AVIF, say), drawn into a canvas.
  async function hash(file) {
    const kind = await sniff(file);
    if (kind === 'animated-webp') return { upload: d.pathUploadWhy };
    try {
      await hasher();
    } catch (e) {
      return { upload: `${d.pathUploadWhy} (${e.message})` };
    }
    try {
      if (kind === 'file') return { fingerprint: await decoded(file) };
      if (kind === 'video') return { fingerprint: await video(file) };
      return { fingerprint: await picture(file) };
    } catch (e) {
      return { upload: `${d.pathUploadWhy} (${e.message})` };
    }
  }

  // Scripts (and the tests) may call the page's own hashing.
  globalThis.hashwatchRegistration = { hasher, decoded, picture, video, hash };
  if (form.id !== 'register-form') return;

  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  async function errorText(resp) {
    try {
      const j = await resp.json();
      return j.error || d.failed;
    } catch {
      return d.failed;
    }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = form.querySelector('button[type=submit]');
    const out = document.getElementById('browser-result');
    button.disabled = true;
    out.hidden = false;
    out.textContent = d.hashing;
    const csrf = form.elements.csrf.value;
    const caseID = form.elements.case.value;
    const label = form.elements.label.value;
    const files = [...form.elements.files.files];
    const rows = files.map((f) => ({ name: f.name }));
    const hashed = [];
    const upload = [];
    for (let i = 0; i < files.length; i++) {
      const r = await hash(files[i]);
      if (r.fingerprint) {
        rows[i].path = d.pathBrowser;
        hashed.push({ i, fingerprint: r.fingerprint });
      } else {
        rows[i].path = `${d.pathUpload}: ${r.upload}`;
        upload.push(i);
      }
    }
    if (hashed.length) {
      const resp = await fetch('/api/cases/fingerprints', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({
          case: caseID, label,
          files: hashed.map((h) => ({ name: files[h.i].name, fingerprint: h.fingerprint })),
        }),
      });
      if (resp.ok) {
        const res = await resp.json();
        res.files.forEach((f, k) => { rows[hashed[k].i].outcome = d.fingerprint.replace(/0$/, String(f.fingerprint)); });
      } else {
        const msg = await errorText(resp);
        hashed.forEach((h) => { rows[h.i].error = msg; });
      }
    }
    if (upload.length) {
      // The upload form's order: the CSRF token first, then the rest.
      const fd = new FormData();
      fd.append('csrf', csrf);
      fd.append('case', caseID);
      fd.append('label', label);
      upload.forEach((i) => fd.append('files', files[i], files[i].name));
      const resp = await fetch('/cases', { method: 'POST', body: fd });
      const page = new DOMParser().parseFromString(await resp.text(), 'text/html');
      const trs = page.querySelectorAll('#register-result tbody tr');
      if (trs.length === upload.length) {
        trs.forEach((tr, k) => {
          const td = tr.querySelectorAll('td')[1];
          const err = td.querySelector('.error');
          if (err) rows[upload[k]].error = err.textContent;
          else rows[upload[k]].outcome = td.textContent;
        });
      } else {
        const msg = page.querySelector('.error, main p, h1');
        upload.forEach((i) => { rows[i].error = msg ? msg.textContent : d.failed; });
      }
    }
    out.textContent = '';
    const table = document.createElement('table');
    table.id = 'browser-result-table';
    const head = table.createTHead().insertRow();
    [d.colFile, d.colPath, d.colOutcome].forEach((h) => {
      const th = document.createElement('th');
      th.textContent = h;
      head.appendChild(th);
    });
    const body = table.createTBody();
    rows.forEach((r) => {
      const tr = body.insertRow();
      cell(tr, r.name);
      cell(tr, r.path, 'path');
      if (r.error) cell(tr, r.error, 'error');
      else cell(tr, r.outcome || '', 'outcome');
    });
    out.appendChild(table);
    // The case list, as the server now has it.
    const list = await fetch('/cases');
    if (list.ok) {
      const page = new DOMParser().parseFromString(await list.text(), 'text/html');
      const fresh = page.getElementById('cases');
      const cur = document.getElementById('cases');
      if (fresh && cur) cur.replaceWith(document.adoptNode(fresh));
    }
    button.disabled = false;
    out.dataset.done = '1';
  });
})();
