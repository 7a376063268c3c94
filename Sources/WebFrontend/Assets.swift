import Crypto
import Foundation

/// The page's stylesheet, script and icon, compiled into webd: no CDN, no fonts from elsewhere,
/// nothing for `script/install` to copy. Each is served with a strong ETag.
public struct Asset: Sendable {
    public let contentType: String
    public let body: String
    public let etag: String

    init(_ contentType: String, _ body: String) {
        self.contentType = contentType
        self.body = body
        etag = "\"" + String(ProofOfWork.hex(Array(SHA256.hash(data: Array(body.utf8)))).prefix(16)) + "\""
    }

    /// Served as `/embed.js` while `web.embed.allowed_origins` lists a site.
    static let embedJS = Asset("text/javascript; charset=utf-8", embedScript)

    public static let all: [String: Asset] = [
        "site.css": Asset("text/css; charset=utf-8", siteCSS),
        "site.js": Asset("text/javascript; charset=utf-8", siteJS),
        "icon.svg": Asset("image/svg+xml", iconSVG),
    ]

    static let iconSVG = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0b5394"/><rect x="7" y="9" width="18" height="16" rx="2" fill="#fff"/><rect x="7" y="9" width="18" height="4" fill="#cfe2f3"/><circle cx="16" cy="19" r="3" fill="#0b5394"/></svg>
        """

    // Mobile first: one column from 320 px, two (calendar beside slots) from 760 px. Colours
    // meet WCAG 2.1 AA contrast on white (#1a1a1a text; the accent, #0b5394 unless
    // web.accent_colour says otherwise (/brand.css), at least 4.5:1 (#0b5394: 7.8:1) by the configuration's check).
    static let siteCSS = """
        :root{--accent:#0b5394}
        *,*::before,*::after{box-sizing:border-box}
        html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:100%;line-height:1.5;color:#1a1a1a;background:#fff;-webkit-text-size-adjust:100%}
        body{margin:0}
        a{color:var(--accent)}
        a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #b45309;outline-offset:2px}
        .skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
        .skip:focus{left:.5rem;z-index:10}
        .top{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;justify-content:space-between;padding:.5rem 1rem;border-bottom:1px solid #d0d7de}
        .top nav{display:flex;gap:.25rem}
        .top a{display:inline-flex;align-items:center;min-height:44px;padding:0 .5rem}
        .brand{font-weight:700;text-decoration:none;gap:.5rem}
        .logo{height:40px;width:auto;max-width:10rem}
        .lead{color:#4a4a4a;margin:0 0 1rem}
        footer.legal{max-width:60rem;margin:2rem auto 0;padding:1rem;border-top:1px solid #d0d7de;color:#4a4a4a;font-size:.85rem}
        .error-summary{border:3px solid #b91c1c;border-radius:6px;padding:.5rem 1rem;margin:0 0 1rem}
        .error-summary:focus{outline:3px solid #b45309;outline-offset:2px}
        .error-summary h2{margin:.25rem 0;color:#7f1d1d}
        .error-summary ul{margin:.25rem 0;padding-left:1.25rem}
        .error-summary a{color:#b91c1c;font-weight:600}
        .month caption{text-align:left;font-weight:700;padding:.25rem 0}
        .calendar-links,form.confirm .actions{display:flex;flex-wrap:wrap;gap:.5rem}
        main{max-width:60rem;margin:0 auto;padding:1rem}
        h1{font-size:1.5rem;margin:.5rem 0 1rem}
        h2{font-size:1.15rem;margin:1rem 0 .5rem}
        .steps{display:flex;gap:.5rem;list-style:none;padding:0;margin:0 0 .5rem;font-size:.9rem;color:#4a4a4a}
        .steps li.current{font-weight:700;color:#1a1a1a;border-bottom:3px solid var(--accent)}
        .alert{border-left:4px solid #b91c1c;background:#fef2f2;color:#7f1d1d;padding:.75rem 1rem;margin:0 0 1rem}
        .notice{border-left:4px solid #15803d;background:#f0fdf4;color:#14532d;padding:.75rem 1rem}
        .button,button{display:inline-flex;align-items:center;justify-content:center;min-height:44px;min-width:44px;padding:.5rem 1rem;border:2px solid var(--accent);border-radius:6px;background:#fff;color:var(--accent);font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
        .button.primary,button.primary{background:var(--accent);color:#fff}
        button.danger{border-color:#b91c1c;color:#b91c1c}
        .button.disabled{border-color:#8a8a8a;color:#595959;cursor:default}
        .daynav{display:grid;grid-template-columns:repeat(4,1fr);gap:.25rem;margin-bottom:.5rem}
        .daynav .button{padding:.5rem .25rem;font-size:.9rem}
        table.month{width:100%;border-collapse:collapse;table-layout:fixed}
        .month th{font-size:.8rem;font-weight:600;color:#4a4a4a;padding:.25rem 0}
        .month td{padding:2px;text-align:center}
        .day{display:flex;align-items:center;justify-content:center;min-height:44px;border-radius:6px;text-decoration:none;font-weight:600}
        a.day{border:2px solid var(--accent);background:color-mix(in srgb,var(--accent) 8%,#fff)}
        a.day.selected{background:var(--accent);color:#fff}
        .day.unavailable{color:#6b6b6b;text-decoration:line-through;font-weight:400}
        .day.unavailable.selected{outline:2px dashed #6b6b6b}
        .slot-list{list-style:none;padding:0;margin:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(8.5rem,1fr));gap:.5rem}
        .slot{display:flex;flex-direction:column;align-items:center;justify-content:center;min-height:48px;width:100%;padding:.4rem;border:2px solid var(--accent);border-radius:6px;text-decoration:none;background:#fff;color:var(--accent);font-weight:600}
        .slot .msk{font-size:.8rem;font-weight:400;color:#4a4a4a}
        .radios input{position:absolute;opacity:0;width:1px;height:1px}
        .radios input:checked+label{background:var(--accent);color:#fff}
        .radios input:checked+label .msk{color:#fff}
        .radios input:focus-visible+label{outline:3px solid #b45309;outline-offset:2px}
        form.zone{margin:0 0 1rem}
        .row{display:flex;gap:.5rem;flex-wrap:nowrap}
        .row select,.row input{flex:1 1 auto;min-width:0}
        .phone .row{flex-wrap:wrap}
        .row select#country{flex:1 1 12rem}
        .phone .row input{flex:1 1 10rem}
        label{display:block;font-weight:600;margin:.25rem 0}
        .field{margin:0 0 1rem;border:0;padding:0}
        fieldset{border:0;padding:0;margin:0 0 1rem}
        legend{font-weight:600;padding:0;margin-bottom:.25rem}
        input[type=text],input[type=email],input[type=tel],select,textarea{width:100%;min-height:44px;padding:.5rem;border:2px solid #6b6b6b;border-radius:6px;font:inherit;color:#1a1a1a;background:#fff}
        .invalid input,.invalid select,[aria-invalid=true]{border-color:#b91c1c}
        .error{color:#b91c1c;font-weight:600;margin:.25rem 0}
        .hint{color:#4a4a4a;font-size:.9rem;margin:.1rem 0 .3rem}
        .optional{font-weight:400;color:#4a4a4a}
        .consent{display:grid;grid-template-columns:44px 1fr;align-items:start}
        .consent .error{grid-column:1/3}
        .consent input{width:28px;height:28px;margin:8px}
        .consent label{font-weight:400}
        .trap{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
        .visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
        .chosen{background:color-mix(in srgb,var(--accent) 8%,#fff);padding:.75rem;border-radius:6px}
        .booking-summary dt{font-weight:600;color:#4a4a4a}
        .booking-summary dd{margin:0 0 .75rem}
        .reference{font-size:1.25rem;letter-spacing:.05em;font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
        .actions{margin:1rem 0}
        form.cancel{border-top:1px solid #d0d7de;margin-top:1.5rem}
        .pow-status{min-height:1.5em;color:#4a4a4a}
        @media (min-width:760px){
          main{display:block}
          .calendar{float:left;width:48%}
          .slots{float:right;width:48%}
          main::after,form.reschedule::after{content:"";display:table;clear:both}
          h1{font-size:1.75rem}
        }
        """

    // Progressive enhancement only: every page works without it. It (1) shows times in the
    // browser's zone on the first visit, (2) solves the booking form's proof-of-work challenge, (3) shows
    // the chosen country's example phone number.
    static let siteJS = #"""
        (function () {
          'use strict';
          function cookie(name) {
            var parts = document.cookie ? document.cookie.split('; ') : [];
            for (var i = 0; i < parts.length; i++) {
              var eq = parts[i].indexOf('=');
              if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
            }
            return null;
          }
          var zone = null;
          try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) {}
          var params = new URLSearchParams(location.search);
          if (zone && !params.has('tz') && !cookie('tz')) {
            document.cookie = 'tz=' + encodeURIComponent(zone) + '; path=/; max-age=31536000; samesite=lax';
            if (document.getElementById('zone-name') || document.getElementById('booking-time') || document.getElementById('chosen-time')) {
              params.set('tz', zone);
              // The same visit of the funnel, not a new one (the token is in no cookie).
              var visit = document.querySelector('meta[name="visit"]');
              if (visit && !params.has('visit')) params.set('visit', visit.content);
              location.replace(location.pathname + '?' + params.toString() + location.hash);
              return;
            }
          }

          // In a frame of a site allowed to embed the page (/embed.js): tell it the page's height
          // whenever it changes, and no one else.
          var embedders = document.querySelector('meta[name="embed-origins"]');
          if (embedders && window.parent !== window) {
            var told = 0;
            var tellHeight = function () {
              var height = Math.ceil(document.body.getBoundingClientRect().height);
              if (height === told) return;
              told = height;
              embedders.content.split(' ').forEach(function (origin) {
                window.parent.postMessage({ type: 'booking-page-height', height: height }, origin);
              });
            };
            if (window.ResizeObserver) new ResizeObserver(tellHeight).observe(document.body);
            window.addEventListener('load', tellHeight);
            tellHeight();
          }

          // The zones by their names in the page's language ("Eastern Time", "Москва").
          var zones = document.getElementById('tz');
          if (zones && window.Intl && Intl.DateTimeFormat.prototype.formatToParts) {
            var now = new Date();
            Array.prototype.forEach.call(zones.options, function (option) {
              try {
                var parts = new Intl.DateTimeFormat(document.documentElement.lang, { timeZone: option.value, timeZoneName: 'longGeneric' }).formatToParts(now);
                var name = parts.filter(function (part) { return part.type === 'timeZoneName'; })[0];
                if (name) { option.textContent = name.value + ' — ' + option.textContent; option.setAttribute('data-localised', name.value); }
              } catch (e) {}
            });
          }

          // Browsers that honour autofocus on form controls only still start at the errors; a
          // link of the summary puts the cursor in its field, not just the page at it.
          var summary = document.getElementById('error-summary');
          if (summary) {
            summary.focus();
            summary.addEventListener('click', function (event) {
              var link = event.target.closest('a[href^="#"]');
              var target = link && document.getElementById(link.getAttribute('href').slice(1));
              if (!target) return;
              var control = target.matches('input, select, textarea') ? target : target.querySelector('input, select, textarea');
              if (!control) return;
              event.preventDefault();
              control.scrollIntoView({ block: 'center' });
              control.focus();
            });
          }

          // SHA-256 (FIPS 180-4) of an ASCII string, as hex.
          var K = [0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2];
          var W = new Array(64);
          function sha256(text) {
            var bytes = [];
            for (var i = 0; i < text.length; i++) bytes.push(text.charCodeAt(i) & 0xff);
            var bitLength = bytes.length * 8;
            bytes.push(0x80);
            while (bytes.length % 64 !== 56) bytes.push(0);
            for (i = 7; i >= 0; i--) bytes.push(i >= 4 ? 0 : (bitLength >>> (i * 8)) & 0xff);
            var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a, h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
            for (var off = 0; off < bytes.length; off += 64) {
              for (i = 0; i < 16; i++) W[i] = (bytes[off + 4 * i] << 24) | (bytes[off + 4 * i + 1] << 16) | (bytes[off + 4 * i + 2] << 8) | bytes[off + 4 * i + 3];
              for (i = 16; i < 64; i++) {
                var x = W[i - 15], y = W[i - 2];
                var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
                var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
                W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
              }
              var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
              for (i = 0; i < 64; i++) {
                var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
                var t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
                var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
                var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
                h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
              }
              h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
              h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
            }
            var out = '';
            [h0, h1, h2, h3, h4, h5, h6, h7].forEach(function (v) { out += ('00000000' + (v >>> 0).toString(16)).slice(-8); });
            return out;
          }

          var form = document.getElementById('booking-form');
          if (!form) return;
          // The phone field's example follows the chosen country.
          var country = document.getElementById('country'), example = document.getElementById('phone-example');
          if (country && example) {
            country.addEventListener('change', function () {
              example.textContent = country.options[country.selectedIndex].getAttribute('data-example');
            });
          }
          var field = document.getElementById('pow');
          var status = document.getElementById('pow-status');
          var solved = false, waiting = false;
          var d = form.dataset;
          var max = parseInt(d.maxNumber, 10);
          var n = 0;
          function work() {
            var stop = Math.min(n + 5000, max);
            for (; n <= stop; n++) {
              if (sha256(d.salt + n) === d.challenge) {
                field.value = d.salt + '|' + n + '|' + d.challenge + '|' + d.signature;
                solved = true;
                if (waiting) { status.textContent = ''; form.submit(); }
                return;
              }
            }
            if (n > max) return;
            setTimeout(work, 0);
          }
          setTimeout(work, 0);
          form.addEventListener('submit', function (event) {
            if (solved) return;
            event.preventDefault();
            waiting = true;
            status.textContent = status.getAttribute('data-checking') || '…';
          });
        })();
        """#

    // A site puts the page where this script tag stands, in a frame that grows and shrinks with
    // the page: the page posts its height; only messages from the booking page's own origin and
    // its own frame are believed.
    static let embedScript = #"""
        (function () {
          'use strict';
          var script = document.currentScript;
          if (!script) return;
          var origin = new URL(script.src).origin;
          var page = new URL(script.getAttribute('data-path') || '/', origin);
          var language = script.getAttribute('data-lang');
          if (language) page.searchParams.set('lang', language);
          var frame = document.createElement('iframe');
          frame.src = page.href;
          frame.title = script.getAttribute('data-title') || document.title || 'Booking';
          frame.setAttribute('data-booking-frame', '');
          frame.style.cssText = 'display:block;width:100%;height:600px;border:0;overflow:hidden';
          script.parentNode.insertBefore(frame, script.nextSibling);
          window.addEventListener('message', function (event) {
            if (event.origin !== origin || event.source !== frame.contentWindow) return;
            var data = event.data;
            if (!data || data.type !== 'booking-page-height' || typeof data.height !== 'number' || !isFinite(data.height)) return;
            frame.style.height = Math.min(Math.max(Math.ceil(data.height), 100), 20000) + 'px';
          });
        })();
        """#
}
