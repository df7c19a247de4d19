export {
  InvalidAmountError,
  MAX_MINOR,
  MAX_SCALE,
  amountProblem,
  formatMinor,
  parseAmount,
  parseMinor,
} from './amount.js';
export { ANY_ASSET, ASSET_PATTERN, AssetCatalogue, DEFAULT_ASSETS, type AssetRule } from './assets.js';
