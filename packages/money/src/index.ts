export {
  AMOUNT_PATTERN,
  InvalidAmountError,
  MAX_AMOUNT_MINOR,
  amountProblem,
  formatMinor,
  isAmount,
  parseAmount,
} from './amount.js';
