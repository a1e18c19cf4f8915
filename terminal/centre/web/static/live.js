// The live part of a page follows the server's events: the server renders it (escaped), this
// swaps it in. While an alert is not taken, a banner shows (rendered by the server) and a tone
// sounds every few seconds until someone takes it.
"use strict";
(function () {
  const live = document.getElementById("live");
  const lost = document.getElementById("lost");
  const soundOn = document.getElementById("sound-on");
  if (!live) return;
  const BEEP_EVERY_MS = 2000;
  let audio = null;
  let beeps = 0;

  function context() {
    if (audio === null && (window.AudioContext || window.webkitAudioContext)) {
      audio = new (window.AudioContext || window.webkitAudioContext)();
    }
    return audio;
  }

  function tone(ctx, hertz, startS, lengthS) {
    const oscillator = ctx.createOscillator();
    const gain = ctx.createGain();
    oscillator.type = "square";
    oscillator.frequency.value = hertz;
    gain.gain.value = 0.15;
    oscillator.connect(gain).connect(ctx.destination);
    oscillator.start(ctx.currentTime + startS);
    oscillator.stop(ctx.currentTime + startS + lengthS);
  }

  function beep() {
    const ctx = context();
    if (ctx === null) return;
    if (ctx.state !== "running") {
      // a new context starts a moment later; one the browser holds back until someone touches
      // the page stays suspended: then ask for the click
      ctx.resume().then(() => { if (ctx.state === "running") beep(); }).catch(() => {});
      window.setTimeout(() => {
        if (soundOn && ctx.state !== "running") soundOn.hidden = false;
      }, 2000);
      return;
    }
    if (soundOn) soundOn.hidden = true;
    tone(ctx, 880, 0, 0.2);
    tone(ctx, 660, 0.25, 0.2);
    beeps += 1;
    document.body.dataset.beeps = String(beeps);
  }

  function alarming() {
    // an alert nobody took, or one raised again to this desk's role
    return live.querySelector("#alarm-banner, #escalation-banner") !== null;
  }

  function sound() {
    document.body.dataset.alarm = alarming() ? "on" : "off";
    if (alarming()) beep();
  }

  if (soundOn) {
    soundOn.addEventListener("click", () => {
      const ctx = context();
      if (ctx) ctx.resume().then(sound).catch(() => {});
    });
  }

  const source = new EventSource(live.dataset.source);
  source.addEventListener("page", (event) => {
    live.innerHTML = event.data;
    if (lost) lost.hidden = true;
    document.body.dataset.shown = String(Date.now());
    document.body.dataset.alarm = alarming() ? "on" : "off";
  });
  // the sign-in returns here afterwards
  source.addEventListener("expired", () => {
    const here = window.location.pathname + window.location.search;
    const back = here === "/desk" ? "" : "&next=" + encodeURIComponent(here);
    window.location.assign("/login?expired=1" + back);
  });
  // signing out here ends this page's session on purpose: the sign-in page need not say it ended
  const signOut = document.querySelector('form[action="/logout"]');
  if (signOut) signOut.addEventListener("submit", () => source.close());
  source.onerror = () => {
    if (lost) lost.hidden = false;
  };
  sound();
  window.setInterval(sound, BEEP_EVERY_MS);
})();
