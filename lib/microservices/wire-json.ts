/** A packet off the wire: JSON when it is JSON, else the text as is (what the built-in transport does too). */
export function parseWire(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
