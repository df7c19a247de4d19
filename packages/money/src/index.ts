export { AMOUNT_PATTERN, InvalidAmountError, amountProblem, formatMinor, parseAmount } from './amount.js';
