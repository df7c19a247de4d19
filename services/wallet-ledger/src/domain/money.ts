/** Minor units (hundredths) to the decimal string of the API: 1234n → "12.34", 5n → "0.05". No floats. */
export function formatMinor(minor: bigint): string {
  const sign = minor < 0n ? '-' : '';
  const digits = (minor < 0n ? -minor : minor).toString().padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}
