// GB 11643 resident ID number check, so a typo is reported before the form is sent. The
// gateway checks the number again.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARACTERS = '10X98765432';

/** Returns whether the 18-character number has a valid birth date and check character. */
export function isValidIdNumber(value) {
  if (!/^\d{17}[\dX]$/.test(value)) {
    return false;
  }
  const year = Number(value.slice(6, 10));
  const month = Number(value.slice(10, 12));
  const day = Number(value.slice(12, 14));
  const birth = new Date(Date.UTC(year, month - 1, day));
  if (birth.getUTCFullYear() !== year || birth.getUTCMonth() !== month - 1
      || birth.getUTCDate() !== day || birth > new Date() || year < 1900) {
    return false;
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    sum += Number(value[i]) * WEIGHTS[i];
  }
  return CHECK_CHARACTERS[sum % 11] === value[17];
}
