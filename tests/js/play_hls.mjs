// Plays an HLS stream with hls.js in headless Chromium and prints what happened as one JSON
// object on stdout (tests/test_clients.py decides pass/fail from it).
//
//   node play_hls.mjs '{"src": "http://127.0.0.1:P/demo/sports/v720.m3u8", "until": "ssai", "max_s": 60}'
//
// The page is served by this script on 127.0.0.1 (port 0) with hls.js from node_modules; Chromium
// is Debian's /usr/bin/chromium driven by playwright-core. `until` picks when to stop early:
//   "ssai": ad fragments (URI containing "/ads/") were loaded and the playhead is 4 s past the
//           end of the last one (the player went through the break and back to content);
//   "sgai": an interstitial ended and the playhead moved 2 s in the primary content after it.
// Otherwise it stops after max_s. `switch_audio_to` (a LANGUAGE, e.g. "fr"): once the playhead is
// inside the break (past the start of the first main ad fragment) the page sets hls.audioTrack to
// that language's track, once, and records when (audio_switch); `subtitles: true` selects the
// first subtitle track so its fragments load. Exit status: 0 when it ran (whatever the player did), 2 on bad
// usage or when Chromium or hls.js cannot be started.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const opts = JSON.parse(process.argv[2] || '{}');
if (!opts.src || !['ssai', 'sgai'].includes(opts.until)) {
  console.error('usage: node play_hls.mjs \'{"src": URL, "until": "ssai"|"sgai", "max_s": 60}\'');
  process.exit(2);
}
const maxMs = Math.min(Number(opts.max_s || 60), 110) * 1000;
const executablePath = opts.chromium || '/usr/bin/chromium';

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.error(`playwright-core missing in ${join(here, 'node_modules')}: run npm ci there (${e.message})`);
  process.exit(2);
}
const hlsJs = readFileSync(join(here, 'node_modules/hls.js/dist/hls.js'));

const page_html = `<!doctype html><meta charset="utf-8"><title>ssai-lab hls.js</title>
<video id="v" muted autoplay playsinline width="320" height="180"></video>
<script src="/hls.js"></script>`;
const server = createServer((req, res) => {
  if (req.url === '/hls.js') {
    res.writeHead(200, { 'Content-Type': 'text/javascript' });
    return res.end(hlsJs);
  }
  if (req.url === '/favicon.ico') {
    res.writeHead(204);
    return res.end();
  }
  if (req.url === '/') {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    return res.end(page_html);
  }
  res.writeHead(404);
  res.end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const pageUrl = `http://127.0.0.1:${server.address().port}/`;

let browser;
const result = { src: opts.src, until: opts.until, console: [] };
try {
  browser = await chromium.launch({
    executablePath,
    args: ['--headless=new', '--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
    timeout: 30000,
  });
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') result.console.push(m.text()); });
  page.on('pageerror', (e) => result.console.push(`pageerror: ${e.message}`));
  await page.goto(pageUrl, { timeout: 15000 });
  result.hls_version = await page.evaluate(() => Hls.version);
  // What this Chromium's MSE plays (Debian's build carries the proprietary codecs).
  result.mse = await page.evaluate(() => ({
    h264_aac: MediaSource.isTypeSupported('video/mp4; codecs="avc1.42c01e,mp4a.40.2"'),
    h264: MediaSource.isTypeSupported('video/mp4; codecs="avc1.42c01e"'),
    aac: MediaSource.isTypeSupported('audio/mp4; codecs="mp4a.40.2"'),
  }));
  await page.evaluate(({ src, until, switchAudioTo, subtitles }) => {
    const t0 = performance.now();
    const now = () => Math.round(performance.now() - t0) / 1000;
    const video = document.getElementById('v');
    const r = (window.__r = {
      events: [], errors: [], frags: [], playing_at: null, done: false, interstitial_ended_at: null,
      asset_lists: [], assets_started: [], audio_tracks: [], audio_switch: null, subtitle_tracks: [],
    });
    // hls.js's own log of its interstitial scheduling (what it buffered to, when it chose to load
    // an asset list), kept for the failure summary; bounded.
    r.hls_log = [];
    const keep = (level) => (...args) => {
      const text = args.map(String).join(' ');
      if (/nterstitial|asset|schedule|buffered|flush/i.test(text) && r.hls_log.length < 600) {
        r.hls_log.push(`${now().toFixed(3)} ${level} ${text.slice(0, 300)}`);
      }
    };
    const debug = { trace: () => {}, debug: () => {}, log: keep('log'), info: keep('info'), warn: keep('warn'),
                    error: keep('error') };
    const hls = new Hls({ debug, enableWorker: true });
    window.__hls = hls;
    const E = Hls.Events;
    const log = (type, extra) => r.events.push({ t: now(), type, ct: video.currentTime, ...extra });
    video.addEventListener('playing', () => { if (r.playing_at === null) r.playing_at = now(); log('playing'); });
    hls.on(E.MANIFEST_PARSED, (_, d) => {
      log('MANIFEST_PARSED', { levels: d.levels.length });
    });
    hls.on(E.AUDIO_TRACKS_UPDATED, (_, d) => {
      r.audio_tracks = d.audioTracks.map((t) => ({ id: t.id, name: t.name, lang: t.lang, url: t.url }));
    });
    hls.on(E.SUBTITLE_TRACKS_UPDATED, (_, d) => {
      r.subtitle_tracks = d.subtitleTracks.map((t) => ({ id: t.id, name: t.name, lang: t.lang, url: t.url }));
    });
    for (const name of ['AUDIO_TRACK_SWITCHING', 'AUDIO_TRACK_SWITCHED', 'SUBTITLE_TRACK_SWITCH',
                        'SUBTITLE_TRACK_LOADED']) {
      hls.on(E[name], (_, d) => log(name, { id: d.id }));
    }
    hls.on(E.FRAG_LOADED, (_, d) => {
      const f = d.frag;
      r.frags.push({ t: now(), url: f.url, sn: f.sn, cc: f.cc, start: f.start, duration: f.duration, type: f.type });
    });
    // Subtitle fragments are loaded by the subtitle stream controller: FRAG_LOADED too (type
    // "subtitle"); SUBTITLE_FRAG_PROCESSED says whether the WebVTT parsed.
    hls.on(E.SUBTITLE_FRAG_PROCESSED, (_, d) => log('SUBTITLE_FRAG_PROCESSED', { url: d.frag.url, success: d.success }));
    hls.on(E.ERROR, (_, d) => r.errors.push({
      t: now(), type: d.type, details: d.details, fatal: d.fatal, before_playing: r.playing_at === null,
      url: (d.frag && d.frag.url) || (d.context && d.context.url) || '', reason: d.reason || (d.error && d.error.message) || '',
    }));
    for (const name of ['INTERSTITIALS_UPDATED', 'INTERSTITIAL_STARTED', 'INTERSTITIAL_ASSET_PLAYER_CREATED',
                        'INTERSTITIAL_ASSET_STARTED', 'INTERSTITIAL_ASSET_ENDED', 'INTERSTITIAL_ASSET_ERROR',
                        'INTERSTITIAL_ENDED', 'INTERSTITIALS_PRIMARY_RESUMED', 'ASSET_LIST_LOADING',
                        'ASSET_LIST_LOADED']) {
      hls.on(E[name], (_, d) => {
        const extra = {};
        if (d && d.event) extra.id = d.event.identifier;
        if (d && d.asset) extra.asset = d.asset.uri;
        if (d && d.event && d.event.assetListUrl) extra.url = String(d.event.assetListUrl);
        if (d && d.assetListResponse) extra.assets = (d.assetListResponse.ASSETS || []).length;
        if (d && d.error) extra.error = String(d.error.message || d.error);
        if (name === 'INTERSTITIALS_UPDATED') extra.count = d.events ? d.events.length : 0;
        if (name === 'ASSET_LIST_LOADED') r.asset_lists.push(extra.url || '');
        if (name === 'INTERSTITIAL_ASSET_STARTED') r.assets_started.push(extra.asset || '');
        if (name === 'INTERSTITIAL_ENDED') r.interstitial_ended_at = video.currentTime;
        log(name, extra);
      });
    }
    hls.attachMedia(video);
    hls.loadSource(src);
    video.play().catch(() => {});  // autoplay is allowed by the flag; muted anyway
    let subtitleTries = 0;
    setInterval(() => {
      // Select the subtitle track once playing: set earlier, hls.js turns it off again when it
      // syncs with the video element's text tracks (created at MANIFEST_PARSED, mode "disabled").
      if (subtitles && r.playing_at !== null && hls.subtitleTrack < 0 && hls.subtitleTracks.length &&
          subtitleTries < 5) {
        subtitleTries += 1;
        hls.subtitleTrack = 0;
      }
      if (switchAudioTo && r.audio_switch === null) {
        const firstAd = r.frags.find((f) => f.type === 'main' && f.url.includes('/ads/'));
        const track = hls.audioTracks.findIndex((t) => t.lang === switchAudioTo);
        if (firstAd && track >= 0 && video.currentTime > firstAd.start + 0.5) {
          r.audio_switch = { t: now(), ct: video.currentTime, from: hls.audioTrack, to: track,
                             break_start: firstAd.start, frags_before: r.frags.length };
          hls.audioTrack = track;
        }
      }
      if (until === 'ssai') {
        const ads = r.frags.filter((f) => f.url.includes('/ads/'));
        const adEnd = Math.max(...ads.map((f) => f.start + f.duration));
        r.ad_end = ads.length ? adEnd : null;
        if (ads.length && video.currentTime > adEnd + 4) r.done = true;
      } else if (r.interstitial_ended_at !== null && video.currentTime > r.interstitial_ended_at + 2) {
        r.done = true;
      }
    }, 250);
  }, { src: opts.src, until: opts.until, switchAudioTo: opts.switch_audio_to || '', subtitles: !!opts.subtitles });
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline && !(await page.evaluate(() => window.__r.done))) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  Object.assign(result, await page.evaluate(() => ({
    ...window.__r, current_time: document.getElementById('v').currentTime,
    paused: document.getElementById('v').paused,
  })));
  result.timed_out = !result.done;
} catch (e) {
  console.error(`play_hls: ${e.stack || e}`);
  process.exitCode = 2;
} finally {
  if (browser) await browser.close().catch(() => {});
  server.close();
}
if (process.exitCode !== 2) console.log(JSON.stringify(result));
