// The registration page's hashing worker: it runs hashwatch's hashing
// module (/wasm/hashwatch.wasm, cmd/hashwasm) off the page's thread, so
// the page stays responsive while a large photo or a long video is
// fingerprinted. register.js sends it files, pixels or video frames and
// gets fingerprints back; nothing leaves the browser from here.
'use strict';
importScripts('/wasm/wasm_exec.js');

const loaded = new Promise((resolve) => { self.hashwatchReady = resolve; });
const go = new Go();
WebAssembly.instantiateStreaming(fetch('/wasm/hashwatch.wasm'), go.importObject)
  .then((r) => { go.run(r.instance); return loaded; })
  .then(() => postMessage({ ready: true }))
  .catch((e) => postMessage({ failed: e.message }));

// sha256 sums a file in slices, so a large video is never held whole.
async function sha256(file) {
  const h = hashwatch.sha256New();
  for (let off = 0; off < file.size; off += 4 << 20) {
    h.update(new Uint8Array(await file.slice(off, off + (4 << 20)).arrayBuffer()));
  }
  return h.hex();
}

// result parses the module's answer: JSON, or {error}.
function result(r) {
  if (typeof r !== 'string') throw new Error(r.error);
  return JSON.parse(r);
}

onmessage = async (ev) => {
  const m = ev.data;
  try {
    let fp;
    switch (m.op) {
      case 'file':
        fp = result(hashwatch.file(new Uint8Array(await m.file.arrayBuffer())));
        break;
      case 'picture':
        fp = result(hashwatch.picture(new Uint8Array(m.pixels), m.width, m.height));
        fp.sha256 = await sha256(m.file);
        break;
      case 'frames':
        fp = result(hashwatch.frames(new Uint8Array(m.grey), m.width, m.height, m.times, m.duration));
        fp.sha256 = await sha256(m.file);
        break;
      default:
        throw new Error(`unknown operation ${m.op}`);
    }
    postMessage({ id: m.id, fingerprint: fp });
  } catch (e) {
    postMessage({ id: m.id, error: e.message });
  }
};
