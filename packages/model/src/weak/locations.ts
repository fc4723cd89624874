/**
 * Project-written LOCATION list: countries, groupings and the cities financial news mentions most. Matched
 * case-sensitively as whole words. Deliberately small: recall on towns, states and regions is low (weak labels).
 * Left out on purpose because they are usually something else in finance text: "Jordan", "Chad", "Georgia"
 * (people/US state ambiguity), "Washington" (the government or a person far more often than the city).
 */
export const LOCATIONS: readonly string[] = [
  // Countries and unions
  "Afghanistan", "Algeria", "Angola", "Argentina", "Australia", "Austria", "Bahrain", "Bangladesh", "Belarus", "Belgium",
  "Bolivia", "Brazil", "Britain", "Bulgaria", "Cambodia", "Canada", "Chile", "China", "Colombia", "Croatia", "Cuba",
  "Cyprus", "Czech Republic", "Denmark", "Ecuador", "Egypt", "England", "Estonia", "Ethiopia", "Finland", "France",
  "Germany", "Ghana", "Greece", "Hungary", "Iceland", "India", "Indonesia", "Iran", "Iraq", "Ireland", "Israel",
  "Italy", "Japan", "Kazakhstan", "Kenya", "Kuwait", "Latvia", "Lebanon", "Libya", "Lithuania", "Luxembourg",
  "Malaysia", "Mexico", "Morocco", "Myanmar", "Netherlands", "New Zealand", "Nigeria", "North Korea", "Norway", "Oman",
  "Pakistan", "Panama", "Peru", "Philippines", "Poland", "Portugal", "Qatar", "Romania", "Russia", "Saudi Arabia",
  "Scotland", "Serbia", "Singapore", "Slovakia", "Slovenia", "South Africa", "South Korea", "Spain", "Sri Lanka",
  "Sweden", "Switzerland", "Syria", "Taiwan", "Tanzania", "Thailand", "Tunisia", "Turkey", "Ukraine",
  "United Arab Emirates", "UAE", "United Kingdom", "U.K.", "UK", "United States", "U.S.", "US", "USA", "U.S.A.",
  "Uruguay", "Venezuela", "Vietnam", "Wales", "Yemen", "Zambia", "Zimbabwe", "Europe", "Asia", "Africa",
  "Latin America", "North America", "South America", "Middle East", "Eurozone", "euro zone", "Gulf",
  // Financial centres and large cities
  "New York", "London", "Tokyo", "Hong Kong", "Shanghai", "Beijing", "Shenzhen", "Frankfurt", "Paris", "Zurich",
  "Geneva", "Toronto", "Sydney", "Melbourne", "Mumbai", "New Delhi", "Delhi", "Bengaluru", "Bangalore", "Dubai",
  "Abu Dhabi", "Doha", "Riyadh", "Seoul", "Taipei", "Osaka", "Jakarta", "Kuala Lumpur", "Bangkok", "Manila",
  "Istanbul", "Tel Aviv", "Moscow", "Kyiv", "Warsaw", "Vienna", "Milan", "Rome", "Madrid", "Barcelona", "Lisbon",
  "Amsterdam", "Brussels", "Dublin", "Edinburgh", "Stockholm", "Oslo", "Copenhagen", "Helsinki", "Athens", "Chicago",
  "Boston", "San Francisco", "Los Angeles", "Houston", "Dallas", "Atlanta", "Seattle", "Miami", "Denver", "Detroit",
  "Charlotte", "Philadelphia", "Silicon Valley", "Wall Street", "Sao Paulo", "São Paulo", "Rio de Janeiro",
  "Mexico City", "Buenos Aires", "Santiago", "Lima", "Bogota", "Johannesburg", "Cape Town", "Lagos", "Nairobi",
  "Cairo", "Vancouver", "Montreal", "Calgary", "Davos", "Brasilia", "Karachi", "Dhaka", "Hanoi", "Ho Chi Minh City",
];
