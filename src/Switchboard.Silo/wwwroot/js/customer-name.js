// The customer's name, remembered in this browser from their last start: the next start form (Start a new chat, or
// a later visit) is filled with it, the topic left empty. The field stays editable; a changed name is remembered at
// the next start.
const nameKey = 'switchboard.customerName';

export function rememberName(name) {
  try { localStorage.setItem(nameKey, name); } catch { /* storage off: not remembered */ }
}

export function rememberedName() {
  try {
    const name = localStorage.getItem(nameKey);
    return typeof name === 'string' && name.trim() ? name : null;
  } catch {
    return null;
  }
}

// Fills an empty name field with the remembered name; whether it did.
export function fillRememberedName(input) {
  const name = rememberedName();
  if (!name || input.value.trim()) return false;
  input.value = name;
  return true;
}
