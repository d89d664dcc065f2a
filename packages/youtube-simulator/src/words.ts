/**
 * The vocabulary of the synthetic world. Each channel has a topic; its video titles and tags mix the
 * topic's words (Zipf-distributed, so some are common and some rare) with general title words. Search
 * matches these words, so every result carries words that lead to further queries.
 */

export interface Topic {
  name: string;
  /** YouTube's category id (the US list: 10 Music, 20 Gaming, 26 Howto & Style…). */
  categoryId: string;
  words: string[];
}

export const TOPICS: Topic[] = [
  {
    name: 'music',
    categoryId: '10',
    words:
      'song guitar piano cover remix album concert beat lyrics acoustic drum singer band rap jazz rock pop melody chords playlist lofi orchestra violin karaoke dj bass vocal studio hiphop synth'.split(
        ' ',
      ),
  },
  {
    name: 'gaming',
    categoryId: '20',
    words:
      'minecraft speedrun gameplay walkthrough boss level multiplayer fortnite pixel console controller esports stream quest dungeon roguelike retro nintendo playstation xbox mods survival raid loot puzzle strategy indie tournament glitch shooter'.split(
        ' ',
      ),
  },
  {
    name: 'cooking',
    categoryId: '26',
    words:
      'recipe pasta bread cake chicken curry soup salad baking grill vegan breakfast dessert noodles pizza sushi tacos sourdough spicy kitchen chef dinner cookies steak ramen dumplings smoothie chocolate barbecue pancakes'.split(
        ' ',
      ),
  },
  {
    name: 'travel',
    categoryId: '19',
    words:
      'city beach mountain hiking road trip island tokyo paris camping backpacking hotel train flight desert village lake waterfall market street food budget adventure sunset cruise safari festival temple lisbon iceland'.split(
        ' ',
      ),
  },
  {
    name: 'tech',
    categoryId: '28',
    words:
      'review unboxing smartphone laptop camera battery setup keyboard coding python javascript linux robot drone gadget chip benchmark repair build server tablet headphones monitor software app electronics arduino printer rust cloud'.split(
        ' ',
      ),
  },
  {
    name: 'sports',
    categoryId: '17',
    words:
      'football soccer basketball tennis goal highlights match training workout running marathon cycling boxing skate surf climbing yoga fitness gym swimming golf cricket baseball hockey coach skills league final champion dunk'.split(
        ' ',
      ),
  },
  {
    name: 'comedy',
    categoryId: '23',
    words:
      'prank funny sketch parody standup meme fails reaction jokes roast bloopers skit laugh awkward impressions satire improv cringe sitcom hilarious'.split(
        ' ',
      ),
  },
  {
    name: 'science',
    categoryId: '27',
    words:
      'history math physics chemistry biology lecture explained lesson space planet universe language learn english study exam documentary facts quantum evolution economics philosophy geography ancient engineering astronomy brain climate experiment volcano'.split(
        ' ',
      ),
  },
  {
    name: 'pets',
    categoryId: '15',
    words:
      'cat dog puppy kitten bird horse aquarium hamster rescue parrot rabbit wildlife animals zoo shark snake turtle fish farm cute'.split(
        ' ',
      ),
  },
  {
    name: 'style',
    categoryId: '26',
    words:
      'makeup tutorial fashion outfit diy crafts hair skincare nails garden decor cleaning organize sewing knitting woodworking haul minimalist thrift pottery'.split(
        ' ',
      ),
  },
  {
    name: 'cars',
    categoryId: '2',
    words:
      'car truck engine drift race motorcycle electric restoration detailing offroad supercar drive garage tuning rally jeep bike speed classic tires'.split(
        ' ',
      ),
  },
  {
    name: 'news',
    categoryId: '25',
    words:
      'politics election interview debate economy breaking report analysis podcast update weather press crisis policy summit inflation protest vote senate'.split(
        ' ',
      ),
  },
  {
    name: 'film',
    categoryId: '1',
    words:
      'trailer movie animation short scene cinema cartoon anime vfx horror scifi director behind scenes review ending theory marvel pixar stopmotion'.split(
        ' ',
      ),
  },
  {
    name: 'vlog',
    categoryId: '22',
    words:
      'day life family morning routine house tour wedding baby moving college storytime birthday apartment diary weekend friends summer holiday nyc'.split(
        ' ',
      ),
  },
];

/** Words any title may carry, most common first. */
export const GENERAL_WORDS =
  'new best how the top why easy first ultimate live official full part episode guide tips vs world night challenge secret beginner pro insane real ever minute 2026 10 hours asmr compilation shorts amazing epic'.split(
    ' ',
  );

/** Pieces of channel names. */
export const CHANNEL_PREFIXES =
  'Daily Urban Happy Little Golden Wild Pixel Lazy Midnight Northern Bright Cosmic Honest Tiny Rapid Silver Crimson Quiet Electric Lucky'.split(
    ' ',
  );
export const CHANNEL_SUFFIXES =
  'TV Studio Official Channel Lab Hub Show Club Media Academy World Zone Crew'.split(' ');

export const COUNTRIES = ['US', 'GB', 'IN', 'BR', 'DE', 'FR', 'JP', 'CA', 'MX', 'ES', 'KR', 'AU'];

/** Every distinct word and its index: the search index keys on these indices. */
export const VOCABULARY: string[] = [
  ...new Set([...TOPICS.flatMap((t) => [t.name, ...t.words]), ...GENERAL_WORDS]),
];
export const WORD_INDEX = new Map(VOCABULARY.map((w, i) => [w, i]));

/** YouTube's video categories (US), as videoCategories.list returns them. */
export const CATEGORIES: { id: string; title: string; assignable: boolean }[] = [
  { id: '1', title: 'Film & Animation', assignable: true },
  { id: '2', title: 'Autos & Vehicles', assignable: true },
  { id: '10', title: 'Music', assignable: true },
  { id: '15', title: 'Pets & Animals', assignable: true },
  { id: '17', title: 'Sports', assignable: true },
  { id: '18', title: 'Short Movies', assignable: false },
  { id: '19', title: 'Travel & Events', assignable: true },
  { id: '20', title: 'Gaming', assignable: true },
  { id: '21', title: 'Videoblogging', assignable: false },
  { id: '22', title: 'People & Blogs', assignable: true },
  { id: '23', title: 'Comedy', assignable: true },
  { id: '24', title: 'Entertainment', assignable: true },
  { id: '25', title: 'News & Politics', assignable: true },
  { id: '26', title: 'Howto & Style', assignable: true },
  { id: '27', title: 'Education', assignable: true },
  { id: '28', title: 'Science & Technology', assignable: true },
  { id: '29', title: 'Nonprofits & Activism', assignable: true },
  { id: '30', title: 'Movies', assignable: false },
  { id: '31', title: 'Anime/Animation', assignable: false },
  { id: '32', title: 'Action/Adventure', assignable: false },
  { id: '33', title: 'Classics', assignable: false },
  { id: '34', title: 'Comedy', assignable: false },
  { id: '35', title: 'Documentary', assignable: false },
  { id: '36', title: 'Drama', assignable: false },
  { id: '37', title: 'Family', assignable: false },
  { id: '38', title: 'Foreign', assignable: false },
  { id: '39', title: 'Horror', assignable: false },
  { id: '40', title: 'Sci-Fi/Fantasy', assignable: false },
  { id: '41', title: 'Thriller', assignable: false },
  { id: '42', title: 'Shorts', assignable: false },
  { id: '43', title: 'Shows', assignable: false },
  { id: '44', title: 'Trailers', assignable: false },
];

/** Lower-case words of a text, as the simulator's search tokenises queries and titles. */
export const tokenize = (s: string): string[] => s.toLowerCase().match(/[a-z0-9]+/g) ?? [];
