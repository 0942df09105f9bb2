// What npm m3u8-parser (videojs, pinned in package.json) reads from each playlist named on the
// command line: one JSON object per file and line, for tests/test_differential_parser.py.
// Dates become epoch milliseconds; everything else is m3u8-parser's manifest as it is.
//   node tests/js/parse_m3u8.mjs FILE...
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Parser } = require('m3u8-parser');

const ms = (d) => (d instanceof Date ? d.getTime() : d === undefined ? null : d);

for (const file of process.argv.slice(2)) {
  const parser = new Parser();
  parser.push(readFileSync(file, 'utf8'));
  parser.end();
  const m = parser.manifest;
  const out = {
    file,
    type: m.playlists ? 'master' : 'media',
    targetDuration: m.targetDuration ?? null,
    mediaSequence: m.mediaSequence ?? null,
    discontinuitySequence: m.discontinuitySequence ?? null,
    endList: m.endList ?? false,
    playlistType: m.playlistType ?? null,
    segments: (m.segments || []).map((s) => ({
      uri: s.uri,
      duration: s.duration ?? null,
      timeline: s.timeline ?? null,
      discontinuity: !!s.discontinuity,
      programDateTime: s.programDateTime ?? null,
      dateTimeString: s.dateTimeString ?? null,
    })),
    dateRanges: (m.dateRanges || []).map((d) => {
      const x = {};
      for (const [k, v] of Object.entries(d)) x[k] = ms(v);
      return x;
    }),
    playlists: (m.playlists || []).map((p) => ({
      uri: p.uri,
      bandwidth: p.attributes?.BANDWIDTH ?? null,
      codecs: p.attributes?.CODECS ?? null,
      resolution: p.attributes?.RESOLUTION
        ? `${p.attributes.RESOLUTION.width}x${p.attributes.RESOLUTION.height}`
        : null,
    })),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}
