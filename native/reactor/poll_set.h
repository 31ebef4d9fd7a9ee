// The interest set of a reactor built on poll(2) or WSAPoll: an array the
// call takes as it is, with an index from fd to its place in the array, and
// a fair read-out of what one call reported. The poll and WSAPoll reactors
// differ in their entry type and their wake-ups, not in this.
#ifndef ACE_PROACTOR_REACTOR_POLL_SET_H_
#define ACE_PROACTOR_REACTOR_POLL_SET_H_

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace ace::reactor {

// Entry is pollfd or WSAPOLLFD; KeyOf gives the fd an entry is indexed by.
template <typename Entry, int (*KeyOf)(const Entry&)>
class PollSet {
 public:
  size_t size() const { return entries_.size(); }
  const std::vector<Entry>& entries() const { return entries_; }

  // Adds entry; false if its fd is already in the set.
  bool Add(const Entry& entry) {
    if (!index_.emplace(KeyOf(entry), entries_.size()).second) return false;
    entries_.push_back(entry);
    return true;
  }

  // fd's entry, or nullptr.
  Entry* Find(int fd) {
    auto it = index_.find(fd);
    return it == index_.end() ? nullptr : &entries_[it->second];
  }

  // Takes fd out, moving the last entry into its place; false if absent.
  bool Remove(int fd) {
    auto it = index_.find(fd);
    if (it == index_.end()) return false;
    const size_t i = it->second;
    index_.erase(it);
    if (i + 1 != entries_.size()) {
      entries_[i] = entries_.back();
      index_[KeyOf(entries_[i])] = i;
    }
    entries_.pop_back();
    return true;
  }

  // Writes up to max (fd, events) pairs for the entries of polled (a copy
  // of the set that was polled) that reported something, events as
  // FromRevents makes them. It starts after where the last read-out stopped,
  // so that a busy fd early in the set cannot starve the rest when more are
  // ready than fit. Returns how many it wrote.
  template <typename FromRevents>
  int ReadOut(const std::vector<Entry>& polled, int32_t* out, int max, FromRevents from) {
    const size_t n = polled.size();
    int count = 0;
    size_t last = start_;
    for (size_t k = 0; k < n && count < max; ++k) {
      const size_t i = (start_ + k) % n;
      if (polled[i].revents == 0) continue;
      out[2 * count] = KeyOf(polled[i]);
      out[2 * count + 1] = static_cast<int32_t>(from(polled[i].revents));
      ++count;
      last = i;
    }
    start_ = n ? (last + 1) % n : 0;
    return count;
  }

 private:
  // what poll takes, in the order it was built
  std::vector<Entry> entries_;
  // fd → its index in entries_
  std::unordered_map<int, size_t> index_;
  // where the next read-out starts
  size_t start_ = 0;
};

}  // namespace ace::reactor

#endif  // ACE_PROACTOR_REACTOR_POLL_SET_H_
