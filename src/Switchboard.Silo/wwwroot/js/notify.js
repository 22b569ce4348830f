// Telling an agent who is looking elsewhere: a short chime and, with their permission, a desktop notification, for a
// new chat or a new customer message while the console's tab is hidden. While it is visible the console's own toasts,
// unread counts and title say enough.

const supported = () => typeof window.Notification === 'function';

export const notificationPermission = () => (supported() ? window.Notification.permission : 'unsupported');

// Browsers let a page ask only from a user's gesture (a click); the console asks when the agent chooses Online or
// clicks the bell.
export async function askNotificationPermission() {
  if (!supported() || window.Notification.permission !== 'default') return notificationPermission();
  try {
    return await window.Notification.requestPermission();
  } catch {
    return notificationPermission();
  }
}

let audio = null;

// A two-note chime made on the spot (no sound file to fetch). An AudioContext made before any click may start
// suspended; it is resumed here, and a browser that refuses just stays silent.
function chime() {
  const Context = window.AudioContext ?? window.webkitAudioContext;
  if (!Context) return;
  try {
    audio ??= new Context();
    if (audio.state === 'suspended') audio.resume().catch(() => {});
    const start = audio.currentTime;
    for (const [frequency, at] of [[880, 0], [1320, 0.16]]) {
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.type = 'sine';
      tone.frequency.value = frequency;
      volume.gain.setValueAtTime(0.0001, start + at);
      volume.gain.exponentialRampToValueAtTime(0.2, start + at + 0.02);
      volume.gain.exponentialRampToValueAtTime(0.0001, start + at + 0.3);
      tone.connect(volume).connect(audio.destination);
      tone.start(start + at);
      tone.stop(start + at + 0.32);
    }
  } catch {
    // No sound is better than a broken console.
  }
}

// Unlocks the chime with the agent's first click, so a later one can sound while the tab is hidden.
export function primeSound() {
  const unlock = () => {
    const Context = window.AudioContext ?? window.webkitAudioContext;
    if (!Context) return;
    try {
      audio ??= new Context();
      if (audio.state === 'suspended') audio.resume().catch(() => {});
    } catch {
      // Ignored: see chime().
    }
  };
  document.addEventListener('pointerdown', unlock, { once: true });
  document.addEventListener('keydown', unlock, { once: true });
}

/**
 * Only while the tab is hidden: sounds the chime and, if allowed, shows a desktop notification. One notification per
 * conversation at a time (its tag): a newer message replaces the older one instead of piling up. Clicking it brings
 * the console forward and calls onClick.
 */
export function notifyIfHidden({ title, body, tag, onClick }) {
  if (document.visibilityState === 'visible') return false;
  chime();
  if (notificationPermission() !== 'granted') return true;
  try {
    const notification = new window.Notification(title, { body, tag, icon: '/favicon.svg', renotify: true });
    notification.onclick = () => {
      window.focus();
      onClick?.();
      notification.close();
    };
  } catch {
    // Some browsers allow notifications only from a service worker; the chime and the title's count still tell.
  }
  return true;
}
