/**
 * What customers buy and declare: product categories with their basket sizes and refund rates, and the
 * value lists of the free attributes.
 */

import { cumulative } from './random.js';

/** One product category: its share of purchases, basket size distribution, refunds and products. */
export interface CategoryRef {
  name: string;
  weight: number;
  /** log of the median basket in EUR, and the spread of the lognormal. */
  mu: number;
  sigma: number;
  refundRate: number;
  products: readonly string[];
}

/**
 * Product categories, weighted by their share of purchases. Refund rates average about 2.8% over the
 * category mix (fashion returns dominate).
 */
export const CATEGORIES: readonly CategoryRef[] = [
  { name: 'groceries', weight: 25, mu: Math.log(35), sigma: 0.5, refundRate: 0.005, products: ['Weekly basket', 'Organic coffee beans', 'Olive oil', 'Fresh produce box', 'Wine selection', 'Breakfast bundle'] },
  { name: 'fashion', weight: 18, mu: Math.log(55), sigma: 0.6, refundRate: 0.07, products: ['Denim jeans', 'Linen shirt', 'Running shoes', 'Winter coat', 'Summer dress', 'Leather belt', 'Wool sweater'] },
  { name: 'beauty', weight: 10, mu: Math.log(28), sigma: 0.5, refundRate: 0.03, products: ['Face cream', 'Shampoo', 'Perfume', 'Lipstick', 'Sunscreen'] },
  { name: 'home', weight: 10, mu: Math.log(70), sigma: 0.8, refundRate: 0.03, products: ['Bed linen', 'Table lamp', 'Cookware set', 'Cushions', 'Storage boxes', 'Rug'] },
  { name: 'electronics', weight: 5, mu: Math.log(150), sigma: 0.9, refundRate: 0.04, products: ['Wireless headphones', 'Smartphone case', 'Bluetooth speaker', 'Tablet', 'Smartwatch', 'Charger'] },
  { name: 'sports', weight: 7, mu: Math.log(60), sigma: 0.7, refundRate: 0.04, products: ['Yoga mat', 'Bike helmet', 'Tennis racket', 'Hiking backpack', 'Swimsuit'] },
  { name: 'books', weight: 8, mu: Math.log(18), sigma: 0.4, refundRate: 0.01, products: ['Novel', 'Cookbook', 'Travel guide', 'Comic book', "Children's book"] },
  { name: 'music', weight: 7, mu: Math.log(12), sigma: 0.5, refundRate: 0.01, products: ['Streaming subscription', 'Vinyl record', 'Concert ticket', 'Album download'] },
  { name: 'toys', weight: 5, mu: Math.log(30), sigma: 0.6, refundRate: 0.02, products: ['Building blocks', 'Board game', 'Plush toy', 'Puzzle'] },
  { name: 'pets', weight: 5, mu: Math.log(25), sigma: 0.5, refundRate: 0.01, products: ['Dog food', 'Cat litter', 'Pet toy', 'Aquarium filter'] },
];
/** Category weights for `Random#weighted` over {@link CATEGORIES}. */
export const CATEGORY_CUMULATIVE = cumulative(CATEGORIES.map((c) => c.weight));
/** Mean basket in EUR over the category mix (E[lognormal] = exp(mu + sigma²/2)), for loyalty balances. */
export const MEAN_BASKET = CATEGORIES.reduce((s, c) => s + c.weight * Math.exp(c.mu + (c.sigma * c.sigma) / 2), 0) / CATEGORIES.reduce((s, c) => s + c.weight, 0);

/** Music genres, for the favourite_genre attribute and song events. */
export const GENRES = ['pop', 'rock', 'jazz', 'classical', 'hip_hop', 'electro', 'folk', 'metal', 'reggae', 'soul'];
/** Values of the interests attribute. */
export const INTERESTS = ['running', 'cooking', 'travel', 'gaming', 'music', 'fashion', 'gardening', 'diy', 'reading', 'cinema', 'photography', 'yoga', 'cycling', 'wine', 'tech'];
/** Values of the clothing_size attribute, with their weights below. */
export const CLOTHING_SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL'];
export const CLOTHING_CUMULATIVE = cumulative([8, 22, 30, 23, 12, 5]);
/** Values of the diet attribute, with their weights below. */
export const DIETS = ['omnivore', 'flexitarian', 'vegetarian', 'vegan', 'pescatarian'];
export const DIET_CUMULATIVE = cumulative([60, 20, 10, 4, 6]);
/** Values of the health_condition attribute (sensitive). */
export const HEALTH_CONDITIONS = ['diabetes', 'coeliac_disease', 'lactose_intolerance', 'nut_allergy', 'pregnancy'];

